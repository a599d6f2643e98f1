/* Trap block controller: register decode (vCPU thread), command execution (I/O thread). */
#include "trap/trapblk_dev.h"
#include "core/util.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm/kvm.h"
#include "trap/mmio_reg.h"
#include "core/vm.h"

/*
 * The command is over: result, bytes, interrupt status and the MSI, all
 * under the lock, so a guest that sees STATUS not busy (and may start the
 * next command at once) also sees this command's ISR.DONE and has had its
 * interrupt: nothing of it can land during the next one.
 */
static void finish_locked(struct trapblk_dev *t, uint32_t result, uint32_t bytes)
{
	if (result == HV_BLK_S_OK)
		t->st.bytes += bytes;
	else if (result == HV_BLK_S_IOERR)
		t->st.io_errors++;
	else
		t->st.bad_cmds++;
	t->bytes = bytes;
	t->status = result;
	t->isr |= HV_TRAPBLK_INT_DONE;
	if (t->ier & HV_TRAPBLK_INT_DONE && eventfd_write(t->irq_fd, 1) == 0)
		t->st.irqs++;
}

static void finish(struct trapblk_dev *t, uint32_t result, uint32_t bytes)
{
	pthread_mutex_lock(&t->lock);
	finish_locked(t, result, bytes);
	pthread_mutex_unlock(&t->lock);
}

static void io_done(struct ioeng_op *op, int res)
{
	struct trapblk_dev *t = container_of(op, struct trapblk_dev, op);

	if (res < 0)
		finish(t, HV_BLK_S_IOERR, 0);
	else
		finish(t, (uint32_t)res == t->iov.iov_len ? HV_BLK_S_OK : HV_BLK_S_IOERR,
		       (uint32_t)res);
}

/* Checks the latched registers: the same rules as a PV request's. */
static uint32_t check(struct trapblk_dev *t, uint64_t bytes, bool write)
{
	if (t->run_count == 0 || t->run_count > HV_TRAPBLK_MAX_SECTORS ||
	    t->run_dma % HV_BLK_SEG_ALIGN)
		return HV_BLK_S_BADREQ;
	t->iov.iov_base = gm_range(t->mem, t->run_dma, bytes);
	t->iov.iov_len = bytes;
	if (!t->iov.iov_base || !disk_range_ok(&t->disk, t->run_sector, bytes))
		return HV_BLK_S_BADREQ;
	/* As for PV requests: malformed is BADREQ, a well-formed write RO. */
	return write && t->disk.ro ? HV_BLK_S_RO : HV_BLK_S_OK;
}

static void identify(struct trapblk_dev *t)
{
	struct hv_trapblk_identify id = {
		.magic = HV_TRAPBLK_MAGIC, .version = HV_TRAPBLK_VERSION,
		.capacity = t->disk.sectors, .sector_size = HV_BLK_SECTOR,
		.flags = t->disk.ro ? HV_TRAPBLK_F_RO : 0, .max_sectors = HV_TRAPBLK_MAX_SECTORS,
	};

	if (t->run_dma % HV_BLK_SEG_ALIGN || gm_write(t->mem, t->run_dma, &id, sizeof(id)))
		finish(t, HV_BLK_S_BADREQ, 0);
	else
		finish(t, HV_BLK_S_OK, sizeof(id));
}

/* I/O thread: run the latched command, copied under the lock once BUSY says it is whole. */
static void on_kick(struct io_source *s, struct ioeng *e)
{
	struct trapblk_dev *t = container_of(s, struct trapblk_dev, src);
	uint64_t bytes;
	bool write, busy;
	uint32_t st;
	int rc;

	pthread_mutex_lock(&t->lock);
	busy = t->status & HV_TRAPBLK_ST_BUSY;
	if (busy) {
		t->run_cmd = t->cmd;
		t->run_sector = t->cmd_sector;
		t->run_dma = t->cmd_dma;
		t->run_count = t->cmd_count;
	}
	pthread_mutex_unlock(&t->lock);
	if (!busy)
		return; /* a stray signal: nothing latched */
	bytes = (uint64_t)t->run_count * HV_BLK_SECTOR;
	write = t->run_cmd == HV_TRAPBLK_CMD_WRITE;
	t->op.cb = io_done;
	switch (t->run_cmd) {
	case HV_TRAPBLK_CMD_READ:
	case HV_TRAPBLK_CMD_WRITE:
		st = check(t, bytes, write);
		if (st != HV_BLK_S_OK) {
			finish(t, st, 0);
			return;
		}
		rc = disk_rw(e, &t->disk, write, &t->iov, 1, t->run_sector * HV_BLK_SECTOR,
			      &t->op);
		break;
	case HV_TRAPBLK_CMD_FLUSH:
		t->iov.iov_len = 0; /* a flush moves no bytes: io_done compares with this */
		rc = disk_flush(e, &t->disk, &t->op);
		break;
	case HV_TRAPBLK_CMD_IDENTIFY:
		identify(t);
		return;
	default:
		finish(t, HV_BLK_S_UNSUPP, 0);
		return;
	}
	if (rc)
		finish(t, HV_BLK_S_IOERR, 0);
}

/* vCPU thread, under the lock: latch the registers and hand the command over. */
static void start_cmd(struct trapblk_dev *t, uint32_t cmd)
{
	if (t->status & HV_TRAPBLK_ST_BUSY) {
		t->st.busy_writes++; /* one command at a time: ignored, as hardware would */
		return;
	}
	t->st.cmds++;
	t->cmd = cmd;
	t->cmd_sector = t->sector;
	t->cmd_dma = t->dma;
	t->cmd_count = t->count;
	t->isr &= ~HV_TRAPBLK_INT_DONE;
	t->status = HV_TRAPBLK_ST_BUSY;
	if (eventfd_write(t->src.fd, 1) < 0)
		finish_locked(t, HV_BLK_S_IOERR, 0);
}

static bool read_reg(struct trapblk_dev *t, uint64_t off, unsigned size, uint64_t *val)
{
	unsigned sh;

	if (mmio_reg64(off, HV_TRAPBLK_R_CAPACITY, size, &sh))
		*val = t->disk.sectors >> sh;
	else if (mmio_reg64(off, HV_TRAPBLK_R_SECTOR, size, &sh))
		*val = t->sector >> sh;
	else if (mmio_reg64(off, HV_TRAPBLK_R_DMA, size, &sh))
		*val = t->dma >> sh;
	else if (size != 4)
		return false;
	else if (off == HV_TRAPBLK_R_MAGIC)
		*val = HV_TRAPBLK_MAGIC;
	else if (off == HV_TRAPBLK_R_VERSION)
		*val = HV_TRAPBLK_VERSION;
	else if (off == HV_TRAPBLK_R_COUNT)
		*val = t->count;
	else if (off == HV_TRAPBLK_R_FLAGS)
		*val = t->disk.ro ? HV_TRAPBLK_F_RO : 0;
	else if (off == HV_TRAPBLK_R_STATUS)
		*val = t->status;
	else if (off == HV_TRAPBLK_R_ISR)
		*val = t->isr;
	else if (off == HV_TRAPBLK_R_IER)
		*val = t->ier;
	else if (off == HV_TRAPBLK_R_BYTES)
		*val = t->bytes;
	else if (off == HV_TRAPBLK_R_VECTOR)
		*val = t->vector;
	else
		return false;
	if (size == 4)
		*val &= 0xffffffffu;
	return true;
}

static bool write_reg(struct trapblk_dev *t, uint64_t off, unsigned size, uint64_t v)
{
	unsigned sh;

	if (mmio_reg64(off, HV_TRAPBLK_R_SECTOR, size, &sh))
		mmio_write64(&t->sector, v, size, sh);
	else if (mmio_reg64(off, HV_TRAPBLK_R_DMA, size, &sh))
		mmio_write64(&t->dma, v, size, sh);
	else if (size != 4)
		return false;
	else if (off == HV_TRAPBLK_R_COUNT)
		t->count = (uint32_t)v;
	else if (off == HV_TRAPBLK_R_CMD)
		start_cmd(t, (uint32_t)v);
	else if (off == HV_TRAPBLK_R_ISR)
		t->isr &= ~(uint32_t)v;
	else if (off == HV_TRAPBLK_R_IER)
		t->ier = (uint32_t)v & HV_TRAPBLK_INT_DONE;
	else
		return false;
	return true;
}

void trapblk_dev_mmio(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	struct trapblk_dev *t = opaque;
	bool ok;

	/* One access at a time, whichever vCPU makes it, against the I/O thread's finish. */
	pthread_mutex_lock(&t->lock);
	ok = is_write ? write_reg(t, off, size, *val) : read_reg(t, off, size, val);
	if (!ok) {
		/* Reserved offsets, read-only registers, odd widths: reads as zero. */
		t->st.bad_accesses++;
		if (!is_write)
			*val = 0;
	}
	pthread_mutex_unlock(&t->lock);
}

int trapblk_dev_init(struct trapblk_dev *t, unsigned index, uint64_t base,
		     const struct guest_mem *mem, const struct disk *disk)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->disk = *disk;
	t->index = index;
	t->mem = mem;
	t->base = base;
	t->vector = TRAPBLK_VEC_BASE + index;
	rc = io_source_open(&t->src, &t->irq_fd);
	if (rc)
		return rc;
	rc = -pthread_mutex_init(&t->lock, NULL);
	if (rc) {
		io_source_close(&t->src, &t->irq_fd);
		return rc;
	}
	t->src.kick = on_kick;
	return 0;
}

void trapblk_dev_destroy(struct trapblk_dev *t)
{
	io_source_close(&t->src, &t->irq_fd);
	pthread_mutex_destroy(&t->lock);
	disk_close(&t->disk);
}

void trapblk_dev_desc(const struct trapblk_dev *t, struct hv_dev_desc *d)
{
	disk_desc(&t->disk, HV_DEV_TRAPBLK, t->index, d);
	d->base = t->base;
	d->len = HV_TRAPBLK_WINDOW;
	d->irq = t->vector;
}

int trapblk_dev_wire(void *dev, struct kvm_vm *kvm)
{
	struct trapblk_dev *t = dev;
	int gsi = kvm_irqfd_msi(kvm, t->vector, t->irq_fd);

	return gsi < 0 ? gsi : 0;
}

void trapblk_dev_print_stats(FILE *f, const void *dev)
{
	const struct trapblk_dev *t = dev;

	fprintf(f, "  trapblk%u (%s, %s%s): %llu commands, %llu bytes, %llu bad, %llu I/O errors, "
		   "%llu while busy, %llu bad register accesses, %llu interrupts\n",
		t->index, t->disk.name, disk_mode(&t->disk), t->disk.ro ? ", ro" : "",
		(unsigned long long)t->st.cmds, (unsigned long long)t->st.bytes,
		(unsigned long long)t->st.bad_cmds, (unsigned long long)t->st.io_errors,
		(unsigned long long)t->st.busy_writes, (unsigned long long)t->st.bad_accesses,
		(unsigned long long)t->st.irqs);
}

/* ---- the device kind: --trap-disk ------------------------------------------ */

static int add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	struct trapblk_dev *t;
	struct hv_dev_desc d;
	struct disk disk;
	uint64_t base;
	int rc;

	if (vm_alloc_mmio(vm, HV_TRAPBLK_WINDOW, &base))
		return err_msg(-ENOSPC, err, errlen, "trapblk%u: no MMIO window left", index);
	rc = disk_open_arg(&disk, trapblk_dev_kind.option, arg, err, errlen);
	if (rc)
		return rc;
	t = calloc(1, sizeof(*t));
	rc = t ? trapblk_dev_init(t, index, base, &vm->mem, &disk) : -ENOMEM;
	if (rc) {
		disk_close(&disk);
		free(t);
		return err_msg(rc, err, errlen, "trapblk%u: cannot set up: %s", index,
			       strerror(-rc));
	}
	trapblk_dev_desc(t, &d);
	rc = io_bus_register(&vm->mmio, t->base, HV_TRAPBLK_WINDOW, trapblk_dev_mmio, t,
			     "trapblk");
	if (rc) {
		err_msg(rc, err, errlen, "trapblk%u: cannot map its window: %s", index,
			strerror(-rc));
	} else {
		struct io_source *src = &t->src;

		rc = vm_add_device(vm, &trapblk_dev_kind, index, t, &d, &src, 1);
		if (rc) {
			io_bus_unregister(&vm->mmio, t->base); /* nothing may point at t */
			err_msg(rc, err, errlen, "trapblk%u: cannot set up: %s", index,
				strerror(-rc));
		}
	}
	if (rc) {
		trapblk_dev_destroy(t);
		free(t);
	}
	return rc;
}

static void describe(FILE *f, const void *dev)
{
	const struct trapblk_dev *t = dev;

	fprintf(f, "hv: trapblk%u: %s, %llu sectors, %s%s, MMIO 0x%llx, vector %u\n", t->index,
		t->disk.name, (unsigned long long)t->disk.sectors, disk_mode(&t->disk),
		t->disk.ro ? ", read-only" : "", (unsigned long long)t->base, t->vector);
}

static void destroy(void *dev)
{
	trapblk_dev_destroy(dev);
	free(dev);
}

const struct device_kind trapblk_dev_kind = {
	.name = "trapblk",
	.option = "--trap-disk",
	.max = HV_MAX_DEVS_PER_KIND,
	.usage = "  --trap-disk PATH[,ro] | null:SIZE[,ro]\n"
		 "                     the same images behind the trap-and-emulate block\n"
		 "                     controller instead (trapblk0, ...: MMIO registers,\n"
		 "                     one request at a time).  Repeatable.\n",
	.check = disk_check_arg,
	.add = add,
	.wire = trapblk_dev_wire,
	.describe = describe,
	.print_stats = trapblk_dev_print_stats,
	.destroy = destroy,
};
