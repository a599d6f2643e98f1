/*
 * The trap block controller through the path a guest takes: every register
 * access goes through hv's MMIO bus exactly as the vCPU loop dispatches a
 * KVM_EXIT_MMIO, and commands run on the real I/O thread and io_uring
 * against real image files.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "suites.h"
#include "trap/trapblk_dev.h"
#include "ut.h"
#include "core/vm.h"

/* The fixture's controller, trapblk0. */
#define TRAP(f) ((struct trapblk_dev *)vm_device((f)->vm, &trapblk_dev_kind, 0))

#define MEM (16ull << 20)
#define BUF 0x400000ull /* a guest-physical DMA buffer */

struct fx {
	struct vm *vm;
	char path[UT_PATH_MAX];
	uint8_t data[1 << 20]; /* the image as created */
};

/*
 * A VM with one trap disk over a fresh 1 MiB image; its I/O thread polls
 * io_poll_ns for work.  With api, as with hv's control API: latency timed.
 */
static void fx_init_api(struct fx *f, const char *extra_spec, uint64_t io_poll_ns, bool api)
{
	char err[256], s[96];

	f->vm = calloc(1, sizeof(*f->vm));
	CU_ASSERT_FATAL(f->vm && gm_init(&f->vm->mem, MEM) == 0);
	CU_ASSERT_FATAL(vm_init_devices(f->vm, 1) == 0);
	for (size_t i = 0; i < sizeof(f->data); i++)
		f->data[i] = (uint8_t)(i * 7 + i / 512);
	ut_image_make(f->path, f->data, sizeof(f->data));
	snprintf(s, sizeof(s), "%s%s", f->path, extra_spec);
	f->vm->keep_latency = api;
	CU_ASSERT_FATAL(vm_create_device(f->vm, &trapblk_dev_kind, 0, s, err, sizeof(err)) == 0);
	f->vm->io.io_poll_ns = io_poll_ns;
	CU_ASSERT_FATAL(vm_start_io(f->vm) == 0);
}

static void fx_init(struct fx *f, const char *extra_spec, uint64_t io_poll_ns)
{
	fx_init_api(f, extra_spec, io_poll_ns, true);
}

static void fx_destroy(struct fx *f)
{
	vm_destroy_devices(f->vm);
	gm_destroy(&f->vm->mem);
	free(f->vm);
	unlink(f->path);
}

static int image_is(const struct fx *f, const uint8_t *want)
{
	return ut_file_is(f->path, want, sizeof(f->data));
}

/* The controller's entry in the device table, as HV_HC_DEV_INFO gives it. */
static struct hv_dev_desc desc(struct fx *f)
{
	const uint64_t a[HC_NARGS] = { 1, BUF };
	struct hv_dev_desc d = { 0 };

	CU_ASSERT_EQUAL(hc_dispatch(f->vm, HV_HC_DEV_INFO, a), 0);
	CU_ASSERT_EQUAL(gm_read(&f->vm->mem, &d, BUF, sizeof(d)), 0);
	CU_ASSERT_EQUAL(d.type, HV_DEV_TRAPBLK);
	CU_ASSERT_EQUAL(d.base, HV_MMIO_BASE);
	return d;
}

/* One trapped access, as exit_mmio performs it. */
static uint64_t rd(struct fx *f, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	CU_ASSERT_TRUE(io_bus_access(&f->vm->mmio, HV_MMIO_BASE + off, false, &v, size));
	return v;
}

static void wr(struct fx *f, uint64_t off, uint64_t v, unsigned size)
{
	CU_ASSERT_TRUE(io_bus_access(&f->vm->mmio, HV_MMIO_BASE + off, true, &v, size));
}

/* Programs and starts a command; waits for its interrupt; returns STATUS. */
static uint32_t command(struct fx *f, uint32_t cmd, uint64_t sector, uint32_t count, uint64_t dma)
{
	struct trapblk_dev *t = TRAP(f);
	struct pollfd p = { .fd = t->tr.irq_fd, .events = POLLIN };
	uint64_t v;

	wr(f, HV_TRAPBLK_R_IER, HV_TRAPBLK_INT_DONE, 4);
	wr(f, HV_TRAPBLK_R_SECTOR, sector, 8);
	wr(f, HV_TRAPBLK_R_COUNT, count, 4);
	wr(f, HV_TRAPBLK_R_DMA, dma & 0xffffffffu, 4); /* as a 32-bit driver would */
	wr(f, HV_TRAPBLK_R_DMA + 4, dma >> 32, 4);
	wr(f, HV_TRAPBLK_R_CMD, cmd, 4);
	CU_ASSERT_EQUAL_FATAL(poll(&p, 1, 5000), 1);
	CU_ASSERT_EQUAL(eventfd_read(t->tr.irq_fd, &v), 0);
	CU_ASSERT_EQUAL(v, 1); /* one interrupt, this command's (the eventfd adds them up) */
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_ISR, 4), HV_TRAPBLK_INT_DONE);
	wr(f, HV_TRAPBLK_R_ISR, HV_TRAPBLK_INT_DONE, 4); /* acknowledge */
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_ISR, 4), 0);
	return (uint32_t)rd(f, HV_TRAPBLK_R_STATUS, 4);
}

static void test_registers_identify(void)
{
	struct fx *f = malloc(sizeof(*f));
	struct hv_trapblk_identify id;

	fx_init(f, ",ro", 0);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_MAGIC, 4), HV_TRAPBLK_MAGIC);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_VERSION, 4), HV_TRAPBLK_VERSION);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_CAPACITY, 8), 2048);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_CAPACITY, 4), 2048);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_CAPACITY + 4, 4), 0);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_FLAGS, 4), HV_TRAPBLK_F_RO);
	CU_ASSERT_EQUAL(desc(f).flags, HV_DEV_F_RO);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_VECTOR, 4), TRAPBLK_VEC_BASE);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_STATUS, 4), 0);
	wr(f, HV_TRAPBLK_R_SECTOR, 0x1122334455667788ull, 8);
	wr(f, HV_TRAPBLK_R_SECTOR + 4, 0xaabbccdd, 4);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_SECTOR, 8), 0xaabbccdd55667788ull);
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_IDENTIFY, 0, 0, BUF), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), 512);
	CU_ASSERT_EQUAL(gm_read(&f->vm->mem, &id, BUF, sizeof(id)), 0);
	CU_ASSERT_EQUAL(id.magic, HV_TRAPBLK_MAGIC);
	CU_ASSERT_EQUAL(id.capacity, 2048);
	CU_ASSERT_EQUAL(id.flags, HV_TRAPBLK_F_RO);
	CU_ASSERT_EQUAL(id.max_sectors, HV_TRAPBLK_MAX_SECTORS);
	/* Reserved offsets and odd widths read as zero; writes to them do nothing. */
	CU_ASSERT_EQUAL(rd(f, 0x800, 4), 0);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_MAGIC, 1), 0);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_MAGIC, 8), 0);
	wr(f, HV_TRAPBLK_R_MAGIC, 0, 4);
	wr(f, HV_TRAPBLK_R_CAPACITY, 1, 8);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_CAPACITY, 8), 2048);
	CU_ASSERT_EQUAL(TRAP(f)->tr.st.bad_accesses, 5);
	fx_destroy(f);
	free(f);
}

static void read_write(bool api)
{
	struct fx *f = malloc(sizeof(*f));
	struct lathist h;
	uint8_t *g;

	fx_init_api(f, "", 0, api);
	g = f->vm->mem.host;
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_FLAGS, 4), 0);
	CU_ASSERT_EQUAL(desc(f).flags, 0);
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_READ, 10, 2048 - 10, BUF), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), (2048 - 10) * 512);
	CU_ASSERT_EQUAL(memcmp(g + BUF, f->data + 10 * 512, (2048 - 10) * 512), 0);
	memset(g + BUF, 0xc3, 8 * 512);
	memset(f->data + 100 * 512, 0xc3, 8 * 512);
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_WRITE, 100, 8, BUF), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_FLUSH, 0, 0, 0), HV_BLK_S_OK);
	CU_ASSERT_TRUE(image_is(f, f->data));
	CU_ASSERT_EQUAL(TRAP(f)->tr.st.irqs, 3);
	/* Timed where GET /metrics can read it, else not even a clock read. */
	CU_ASSERT_EQUAL(lathist_read(&TRAP(f)->lat, &h), api ? 3 : 0);
	fx_destroy(f);
	free(f);
}

static void test_read_write(void)
{
	read_write(true);
}

static void test_read_write_untimed(void)
{
	read_write(false);
}

/* Bad register values: an error status each, hv unharmed, image unchanged. */
static void test_hostile_registers(void)
{
	struct fx *f = malloc(sizeof(*f));
	const uint32_t W = HV_TRAPBLK_CMD_WRITE, R = HV_TRAPBLK_CMD_READ;

	fx_init(f, "", 0);
	CU_ASSERT_EQUAL(command(f, W, 0, 1, MEM), HV_BLK_S_BADREQ);            /* DMA past RAM */
	CU_ASSERT_EQUAL(command(f, W, 0, 2, MEM - 512), HV_BLK_S_BADREQ);      /* straddles */
	CU_ASSERT_EQUAL(command(f, R, 0, 2, ~0ull - 511), HV_BLK_S_BADREQ);    /* wraps */
	CU_ASSERT_EQUAL(command(f, R, 0, 1, HV_MMIO_BASE), HV_BLK_S_BADREQ);   /* device window */
	CU_ASSERT_EQUAL(command(f, W, 0, 1, BUF + 4), HV_BLK_S_BADREQ);        /* unaligned */
	CU_ASSERT_EQUAL(command(f, W, 0, 0, BUF), HV_BLK_S_BADREQ);            /* no sectors */
	CU_ASSERT_EQUAL(command(f, R, 0, HV_TRAPBLK_MAX_SECTORS + 1, BUF), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(command(f, W, 2048, 1, BUF), HV_BLK_S_BADREQ);         /* past the end */
	CU_ASSERT_EQUAL(command(f, W, 2047, 2, BUF), HV_BLK_S_BADREQ);         /* straddles */
	CU_ASSERT_EQUAL(command(f, R, ~0ull, 1, BUF), HV_BLK_S_BADREQ);        /* 2^64-1 */
	CU_ASSERT_EQUAL(command(f, 0, 0, 1, BUF), HV_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(command(f, 0xdeadbeef, 0, 1, BUF), HV_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_IDENTIFY, 0, 0, MEM), HV_BLK_S_BADREQ);
	CU_ASSERT_EQUAL(TRAP(f)->st.bad_cmds, 13);
	CU_ASSERT_EQUAL(command(f, R, 0, 1, BUF), HV_BLK_S_OK); /* still works */
	CU_ASSERT_TRUE(image_is(f, f->data));
	fx_destroy(f);
	free(f);
}

static void test_read_only(void)
{
	struct fx *f = malloc(sizeof(*f));

	fx_init(f, ",ro", 0);
	memset(f->vm->mem.host + BUF, 0xee, 512);
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_WRITE, 0, 1, BUF), HV_BLK_S_RO);
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_READ, 0, 1, BUF), HV_BLK_S_OK);
	CU_ASSERT_TRUE(image_is(f, f->data));
	fx_destroy(f);
	free(f);
}

/* One command at a time; interrupts only when enabled. */
static void test_busy_and_ier(void)
{
	struct fx *f = malloc(sizeof(*f));
	struct trapblk_dev *t;

	fx_init(f, "", 0);
	t = TRAP(f);
	/* Interrupts off: the command completes, ISR says so, no MSI. */
	wr(f, HV_TRAPBLK_R_IER, 0, 4);
	wr(f, HV_TRAPBLK_R_SECTOR, 0, 8);
	wr(f, HV_TRAPBLK_R_COUNT, 1, 4);
	wr(f, HV_TRAPBLK_R_DMA, BUF, 8);
	wr(f, HV_TRAPBLK_R_CMD, HV_TRAPBLK_CMD_READ, 4);
	for (int i = 0; i < 5000 && (rd(f, HV_TRAPBLK_R_STATUS, 4) & HV_TRAPBLK_ST_BUSY); i++)
		usleep(1000);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_STATUS, 4), HV_BLK_S_OK);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_ISR, 4), HV_TRAPBLK_INT_DONE);
	CU_ASSERT_EQUAL(t->tr.st.irqs, 0);
	/* The next command, interrupts on, raises exactly one MSI: none was left over. */
	CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_READ, 0, 1, BUF), HV_BLK_S_OK);
	/* With the I/O thread stopped a command stays busy; a second is ignored. */
	iothread_stop(&f->vm->io);
	wr(f, HV_TRAPBLK_R_CMD, HV_TRAPBLK_CMD_READ, 4);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_STATUS, 4), HV_TRAPBLK_ST_BUSY);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_ISR, 4), 0); /* a new command clears DONE */
	wr(f, HV_TRAPBLK_R_CMD, HV_TRAPBLK_CMD_WRITE, 4);
	CU_ASSERT_EQUAL(t->tr.st.busy_writes, 1);
	CU_ASSERT_EQUAL(t->run_cmd, HV_TRAPBLK_CMD_READ);
	fx_destroy(f);
	free(f);
}

/*
 * Host I/O that fails or comes back short ends the command with IOERR and
 * the bytes that did move: an image truncated under hv, a file-size limit,
 * a DMA buffer the host may not touch, an I/O thread hv cannot signal.
 */
static void test_io_errors(void)
{
	struct fx *f = malloc(sizeof(*f));
	const uint32_t end = 1024, R = HV_TRAPBLK_CMD_READ, W = HV_TRAPBLK_CMD_WRITE;
	struct ut_fsize_limit lim;
	struct trapblk_dev *t;
	struct lathist h;
	uint64_t sum;
	uint8_t *g;

	fx_init(f, "", 0);
	t = TRAP(f);
	g = f->vm->mem.host;
	CU_ASSERT_EQUAL_FATAL(truncate(f->path, end * 512), 0);
	memset(g + BUF, 0xee, 4096);
	CU_ASSERT_EQUAL(command(f, R, end - 4, 8, BUF), HV_BLK_S_IOERR);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), 2048);
	CU_ASSERT_EQUAL(memcmp(g + BUF, f->data + (end - 4) * 512, 2048), 0);
	CU_ASSERT_EQUAL(command(f, R, end + 100, 1, BUF), HV_BLK_S_IOERR);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), 0);

	ut_fsize_limit_set(&lim, end * 512);
	memset(g + BUF, 0x3c, 4096);
	CU_ASSERT_EQUAL(command(f, W, end - 4, 8, BUF), HV_BLK_S_IOERR);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), 2048);
	memset(f->data + (end - 4) * 512, 0x3c, 2048);
	CU_ASSERT_EQUAL(command(f, W, end + 8, 1, BUF), HV_BLK_S_IOERR);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), 0);
	ut_fsize_limit_undo(&lim);
	CU_ASSERT_TRUE(ut_file_is(f->path, f->data, end * 512));

	CU_ASSERT_EQUAL_FATAL(mprotect(g + BUF, 4096, PROT_NONE), 0);
	CU_ASSERT_EQUAL(command(f, R, 0, 1, BUF), HV_BLK_S_IOERR);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), 0);
	CU_ASSERT_EQUAL_FATAL(mprotect(g + BUF, 4096, PROT_READ | PROT_WRITE), 0);
	CU_ASSERT_EQUAL(command(f, R, 0, 8, BUF), HV_BLK_S_OK); /* still works */
	CU_ASSERT_EQUAL(memcmp(g + BUF, f->data, 4096), 0);

	/*
	 * The I/O thread cannot be told (its eventfd is gone): done at once,
	 * IOERR, and no latency sample (hv took no part; it would have been
	 * timed from the last command's start).
	 */
	CU_ASSERT_EQUAL(lathist_read(&t->lat, &h), 6);
	sum = h.sum_ns;
	ut_iothread_stop(&f->vm->io);
	close(t->tr.src.fd);
	t->tr.src.fd = -1;
	CU_ASSERT_EQUAL(command(f, R, 0, 1, BUF), HV_BLK_S_IOERR);
	CU_ASSERT_EQUAL(rd(f, HV_TRAPBLK_R_BYTES, 4), 0);
	CU_ASSERT_EQUAL(lathist_read(&t->lat, &h), 6);
	CU_ASSERT_EQUAL(h.sum_ns, sum);
	CU_ASSERT_EQUAL(t->st.io_errors, 6);
	CU_ASSERT_EQUAL(t->st.bad_cmds, 0);
	fx_destroy(f);
	free(f);
}

/* hv's I/O thread busy-polling (--io-poll, here 30 s): each command still done at once. */
static void test_io_poll(void)
{
	struct fx *f = malloc(sizeof(*f));

	fx_init(f, "", 30000000000ull);
	for (uint64_t s = 0; s < 4; s++) {
		CU_ASSERT_EQUAL(command(f, HV_TRAPBLK_CMD_READ, s * 8, 8, BUF), HV_BLK_S_OK);
		CU_ASSERT_EQUAL(memcmp(f->vm->mem.host + BUF, f->data + s * 4096, 4096), 0);
	}
	ut_iothread_stop(&f->vm->io);
	fx_destroy(f);
	free(f);
}

/*
 * A guest that polls STATUS and starts the next command the moment it reads
 * done: the finished command's ISR.DONE and interrupt came with that STATUS,
 * so none of them lands during the next command (where a handler would take
 * it for the new one's, STATUS BUSY with a low byte reading OK).
 */
static void test_status_isr_together(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct trapblk_dev *t = TRAP((f->vm = ut_vm_with(MEM, &trapblk_dev_kind, "null:1M"), f));
	const struct ut_trap_cmd c = {
		&f->vm->mmio, HV_MMIO_BASE, HV_TRAPBLK_R_CMD, HV_TRAPBLK_CMD_READ,
		HV_TRAPBLK_R_STATUS, HV_TRAPBLK_R_ISR, HV_TRAPBLK_ST_BUSY, HV_TRAPBLK_INT_DONE,
		t->tr.irq_fd, f->vm->io.tid,
	};
	struct ut_trap_race r;

	wr(f, HV_TRAPBLK_R_IER, HV_TRAPBLK_INT_DONE, 4);
	wr(f, HV_TRAPBLK_R_SECTOR, 0, 8);
	wr(f, HV_TRAPBLK_R_COUNT, 1, 4);
	wr(f, HV_TRAPBLK_R_DMA, BUF, 8);
	r = ut_trap_race(&c, UT_TRAP_RACE_CMDS);
	CU_ASSERT_EQUAL(t->tr.st.cmds[0], r.cmds);
	CU_ASSERT_EQUAL(t->tr.st.busy_writes, 0);
	ut_vm_free(f->vm);
	free(f);
}

int suite_trapblk(void)
{
	static const CU_TestInfo tests[] = {
		{ "registers, widths, IDENTIFY", test_registers_identify },
		{ "read, write, flush through io_uring", test_read_write },
		{ "the same without a control API: no latency samples", test_read_write_untimed },
		{ "hostile register values: statuses, image unchanged", test_hostile_registers },
		{ "write to a read-only image", test_read_only },
		{ "one command at a time; IER gates the MSI", test_busy_and_ier },
		{ "host I/O errors and short transfers: IOERR", test_io_errors },
		{ "commands while hv's I/O thread busy-polls", test_io_poll },
		{ "STATUS, ISR and the interrupt change together", test_status_isr_together },
		CU_TEST_INFO_NULL,
	};
	return add_suite("trapblk", tests);
}
