/* Trap block controller: its registers and what a command does (I/O thread). */
#include "trap/trapblk_dev.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/device.h"
#include "core/util.h"
#include "core/vm.h"
#include "fault/fault.h"
#include "snap/snap_dev.h"
#include "io/qlimit.h"

_Static_assert(offsetof(struct trapblk_dev, tr) == 0, "the device pointer is the transport's");
_Static_assert(HV_TRAPBLK_ST_BUSY == TRAP_ST_BUSY, "STATUS is a transport channel's status");

/* Its one channel: a command at a time. */
static void finish(struct trapblk_dev *t, uint32_t result, uint32_t bytes)
{
	trap_finish(&t->tr, 0, result, bytes);
}

/* Under the lock, as the command ends (trap_ops.finished). */
static void finished(void *dev, unsigned chan, uint32_t result, uint32_t bytes)
{
	struct trapblk_dev *t = dev;

	(void)chan;
	/*
	 * 0: the I/O thread never took it (its doorbell failed: signal_err, on
	 * the vCPU thread), or the histogram is not kept (lathist.h): no sample.
	 */
	if (t->run_cmd != HV_TRAPBLK_CMD_IDENTIFY)
		lathist_end(&t->lat, t->taken_ns);
	t->taken_ns = 0;
	if (result == HV_BLK_S_OK)
		stat_add(&t->st.bytes, bytes);
	else if (result == HV_BLK_S_IOERR)
		stat_add(&t->st.io_errors, 1);
	else
		stat_add(&t->st.bad_cmds, 1);
	t->bytes = bytes;
}

static void io_done(struct ioeng_op *op, int res)
{
	struct trapblk_dev *t = container_of(op, struct trapblk_dev, op);

	trap_trace(&t->tr, 0, TR_CQE, (uint32_t)res);
	if (res < 0)
		finish(t, HV_BLK_S_IOERR, 0);
	else
		finish(t, (uint32_t)res == t->iov.iov_len ? HV_BLK_S_OK : HV_BLK_S_IOERR,
		       (uint32_t)res);
}

/* A command a fault rule touched completes here (io_done's work, as the rule bends it). */
static void fault_io_done(struct ioeng_op *op, int res)
{
	struct trapblk_dev *t = container_of(op, struct trapblk_dev, op);

	if (fault_defer(&t->defer, op, res))
		return;
	if (res >= 0 && t->fv.torn)
		finish(t, HV_BLK_S_IOERR, (uint32_t)res);
	else if (res >= 0 && t->fv.wrong_len && (uint32_t)res == t->iov.iov_len)
		finish(t, HV_BLK_S_OK, fault_wrong_len((uint32_t)res));
	else
		io_done(op, res);
}

/*
 * A checked command of a device with fault rules (fault.h): true if they
 * finished it (an error, through the engine so a delay still applies); a
 * torn write goes on with half its bytes.
 */
static bool fault_start(struct trapblk_dev *t, struct ioeng *e)
{
	static const enum fault_io io_of[] = {
		[HV_TRAPBLK_CMD_READ] = FAULT_IO_READ, [HV_TRAPBLK_CMD_WRITE] = FAULT_IO_WRITE,
		[HV_TRAPBLK_CMD_FLUSH] = FAULT_IO_FLUSH,
	};
	uint32_t bytes = (uint32_t)t->iov.iov_len;

	if (!fault_disk(t->tr.fault, io_of[t->run_cmd], t->run_sector,
			t->run_cmd == HV_TRAPBLK_CMD_FLUSH ? 0 : t->run_count, &t->fv))
		return false;
	t->op.cb = fault_io_done;
	t->defer.e = e;
	t->defer.ns = t->fv.delay_ns;
	if (t->fv.torn)
		t->iov.iov_len = fault_torn_len(bytes);
	if (t->fv.error || (t->fv.torn && !t->iov.iov_len)) {
		ioeng_complete(e, &t->op, -EIO);
		return true;
	}
	return false;
}

/* Checks the latched registers: the same rules as a PV request's. */
static uint32_t check(struct trapblk_dev *t, uint64_t bytes, bool write)
{
	if (t->run_count == 0 || t->run_count > HV_TRAPBLK_MAX_SECTORS ||
	    t->run_dma % HV_BLK_SEG_ALIGN)
		return HV_BLK_S_BADREQ;
	t->iov.iov_base = gm_range(t->tr.mem, t->run_dma, bytes);
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

	if (t->run_dma % HV_BLK_SEG_ALIGN || gm_write(t->tr.mem, t->run_dma, &id, sizeof(id)))
		finish(t, HV_BLK_S_BADREQ, 0);
	else
		finish(t, HV_BLK_S_OK, sizeof(id));
}

/* I/O thread: the command latched at CMD (trap_chan.run). */
static void run(void *dev, struct ioeng *e)
{
	struct trapblk_dev *t = dev;
	uint64_t bytes = (uint64_t)t->run_count * HV_BLK_SECTOR;
	bool write = t->run_cmd == HV_TRAPBLK_CMD_WRITE;
	uint32_t st;
	int rc;

	t->taken_ns = lathist_start(&t->lat);
	t->op.cb = io_done;
	switch (t->run_cmd) {
	case HV_TRAPBLK_CMD_READ:
	case HV_TRAPBLK_CMD_WRITE:
		st = check(t, bytes, write);
		if (st != HV_BLK_S_OK) {
			finish(t, st, 0);
			return;
		}
		if (t->tr.fault && fault_start(t, e))
			return;
		rc = disk_rw(e, &t->disk, write ? DISK_WRITE : DISK_READ, &t->iov, 1,
			     t->run_sector * HV_BLK_SECTOR, &t->op);
		break;
	case HV_TRAPBLK_CMD_FLUSH:
		t->iov.iov_len = 0; /* a flush moves no bytes: io_done compares with this */
		if (t->tr.fault && fault_start(t, e))
			return;
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
	else
		trap_trace(&t->tr, 0, TR_SQE, 0);
}

static uint64_t flags(const void *dev)
{
	return ((const struct trapblk_dev *)dev)->disk.ro ? HV_TRAPBLK_F_RO : 0;
}

#define U32(field) TRAP_U32(struct trapblk_dev, field)
#define U64(field) TRAP_U64(struct trapblk_dev, field)

static const struct trap_reg regs[] = {
	{ .off = HV_TRAPBLK_R_MAGIC, .kind = TRAP_REG_CONST, .arg = HV_TRAPBLK_MAGIC },
	{ .off = HV_TRAPBLK_R_VERSION, .kind = TRAP_REG_CONST, .arg = HV_TRAPBLK_VERSION },
	{ .off = HV_TRAPBLK_R_CAPACITY, .kind = TRAP_REG_RO, .wide = true, .arg = U64(disk.sectors) },
	{ .off = HV_TRAPBLK_R_SECTOR, .kind = TRAP_REG_RW, .wide = true, .arg = U64(sector),
	  .latch = U64(run_sector) },
	{ .off = HV_TRAPBLK_R_COUNT, .kind = TRAP_REG_RW, .arg = U32(count),
	  .latch = U32(run_count) },
	{ .off = HV_TRAPBLK_R_FLAGS, .kind = TRAP_REG_FN, .get = flags },
	{ .off = HV_TRAPBLK_R_DMA, .kind = TRAP_REG_RW, .wide = true, .arg = U64(dma),
	  .latch = U64(run_dma) },
	{ .off = HV_TRAPBLK_R_CMD, .kind = TRAP_REG_CMD, .arg = TRAP_CMD_ANY, .latch = U32(run_cmd) },
	{ .off = HV_TRAPBLK_R_STATUS, .kind = TRAP_REG_STATUS },
	{ .off = HV_TRAPBLK_R_ISR, .kind = TRAP_REG_ISR },
	{ .off = HV_TRAPBLK_R_IER, .kind = TRAP_REG_IER },
	{ .off = HV_TRAPBLK_R_BYTES, .kind = TRAP_REG_RO, .arg = U32(bytes) },
	{ .off = HV_TRAPBLK_R_VECTOR, .kind = TRAP_REG_VECTOR },
};

/* ---- setup and reports ------------------------------------------------------ */

static int open_disk(void *dev, unsigned index, const void *arg, struct hv_dev_desc *d,
		     char *err, size_t errlen)
{
	struct trapblk_dev *t = dev;
	int rc = disk_open_arg(&t->disk, trapblk_dev_kind.option, arg, err, errlen);

	if (rc == 0)
		disk_desc(&t->disk, HV_DEV_TRAPBLK, index, d);
	return rc;
}

static void close_disk(void *dev)
{
	disk_close(&((struct trapblk_dev *)dev)->disk);
}

static void describe(FILE *f, const void *dev)
{
	const struct trapblk_dev *t = dev;

	fprintf(f, "%s, %llu sectors, %s%s", t->disk.name, (unsigned long long)t->disk.sectors,
		disk_mode(&t->disk), t->disk.ro ? ", read-only" : "");
}

static void print_stats(FILE *f, const void *dev)
{
	const struct trapblk_dev *t = dev;

	fprintf(f, "%s, %s%s): %llu commands, %llu bytes, %llu bad, %llu I/O errors, ",
		t->disk.name, disk_mode(&t->disk), t->disk.ro ? ", ro" : "",
		DEV_ULL(t->tr.st.cmds[0]), DEV_ULL(t->st.bytes),
		DEV_ULL(t->st.bad_cmds), DEV_ULL(t->st.io_errors));
}

static const struct trap_ops trapblk_ops = {
	.size = sizeof(struct trapblk_dev),
	.window = HV_TRAPBLK_WINDOW,
	.vec_base = TRAPBLK_VEC_BASE,
	TRAP_REGS(regs),
	.int_mask = HV_TRAPBLK_INT_DONE,
	.open = open_disk,
	.close = close_disk,
	.finished = finished,
	.describe = describe,
	.print_stats = print_stats,
	.chan = { { .int_bit = HV_TRAPBLK_INT_DONE, .signal_err = HV_BLK_S_IOERR, .run = run } },
};

static int add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	int rc = trap_create(vm, &trapblk_dev_kind, &trapblk_ops, index, arg, err, errlen);
	struct trapblk_dev *t = rc ? NULL : vm_device(vm, &trapblk_dev_kind, index);

	if (t)
		t->tr.fault = fault_claim(vm->faults, "trapblk", index, 0);
	return rc;
}

/* The disk's argument, less rate limits: they act on PV queues, which a trap disk has not. */
static int check_arg(const char *opt, const char *arg, char *err, size_t errlen)
{
	struct disk_spec spec;
	int rc = disk_parse_spec(opt, arg, &spec, err, errlen);

	if (!rc && rate_set_on(&spec.rate))
		rc = err_msg(-EINVAL, err, errlen,
			     "%s: rate limits (bps=, iops=) apply to PV disks (--disk) only", opt);
	return rc;
}

static struct lathist *latency(void *dev)
{
	return &((struct trapblk_dev *)dev)->lat;
}

const struct device_kind trapblk_dev_kind = {
	.name = "trapblk",
	.option = "--trap-disk",
	.max = HV_MAX_DEVS_PER_KIND,
	.usage = "  --trap-disk PATH[,ro] | null:SIZE[,ro]\n"
		 "                     the same images behind the trap-and-emulate block\n"
		 "                     controller instead (trapblk0, ...: MMIO registers,\n"
		 "                     one request at a time).  Repeatable.\n",
	.check = check_arg,
	.add = add,
	TRAP_KIND_HOOKS,
	.save = trapblk_snap_save, /* snap/snap_dev.c */
	.load = trapblk_snap_load,
	.latency = latency,
};
