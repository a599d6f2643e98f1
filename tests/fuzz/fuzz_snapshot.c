/*
 * Fuzz target: a snapshot state file as --restore reads it
 * (hv/snap/snapfile.c, then snapshot.c's device check and each device's
 * record: the UART's registers, a PV disk's queue setup and ring indices;
 * the PCI functions; a trap disk's registers and latched command; a
 * Linux guest's platform record, whose legacy ports the restore adds; the
 * origin record) on the fake machine (a UART, a PV disk, a trap disk).  The first byte picks how
 * the rest is read: as a whole file (the reader's checks: magic, versions,
 * length, CRC32C, section bounds), or as a list of sections the target
 * writes with hv's own writer, so that inputs get past the checksum to the
 * records themselves, as a crafted file with a good checksum would.
 * Oracles: ASan and UBSan; a refusal is -EINVAL with a one-line reason; a
 * file hv's writer made is one its reader takes; a restored queue, served
 * by a turn of the I/O thread, leaves nothing in flight.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "fuzz_check.h"
#include "fuzz_in.h"
#include "fuzz_vm.h"
#include "pv/pvblk_back.h"
#include "pv/pvq.h"
#include "snap/snapfile.h"
#include "snap/snap_pci.h"
#include "snap/snapshot.h"
#include "trap/trapblk_dev.h"
#include "x86/legacy.h"

#define RAM (256u << 10)

/* The fake machine: uart0, pvblk0, trapblk0. */
static const struct fuzz_dev devs[] = { { &pvblk_back_kind, "null:65536" },
					{ &trapblk_dev_kind, "null:65536" } };

static __attribute__((noreturn)) void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz: snapshot: %s (reason: '%s')\n", what, err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * FUZZ_SNAPSHOT_SEED=PATH: writes a whole file (mode byte 0) of the fake
 * machine with its disk's queue attached, as snap_create would: the seed
 * from which inputs reach every record (tests/fuzz/corpus/snapshot/).
 * FUZZ_SNAPSHOT_LINUX=1: the machine has a Linux guest's legacy ports.
 */
/* A read of one sector latched at the trap disk's CMD and not yet taken: it runs on restore. */
static void latch_trap_read(struct fuzz_vm *f)
{
	const struct trapblk_dev *t = fuzz_vm_dev(f, &trapblk_dev_kind, 0);
	uint64_t v;

	v = 1, fuzz_vm_mmio(f, t->tr.base + HV_TRAPBLK_R_COUNT, true, &v, 4);
	v = 0x10000, fuzz_vm_mmio(f, t->tr.base + HV_TRAPBLK_R_DMA, true, &v, 8);
	v = HV_TRAPBLK_INT_DONE, fuzz_vm_mmio(f, t->tr.base + HV_TRAPBLK_R_IER, true, &v, 4);
	v = HV_TRAPBLK_CMD_READ, fuzz_vm_mmio(f, t->tr.base + HV_TRAPBLK_R_CMD, true, &v, 4);
}

static void write_seed(const char *path)
{
	static const struct snap_origin origin = { "vmlinux", "initramfs.cpio.gz", "console=ttyS0" };
	const struct hv_queue_setup s = { .sq_gpa = 0x4000, .cq_gpa = 0x8000, .sq_size = 8,
					  .cq_size = 8, .msix = 0 };
	struct snap_writer w;
	char err[ERR_MAX];
	struct fuzz_vm f;
	FILE *out;

	fuzz_vm_init(&f, RAM, devs, ARRAY_SIZE(devs));
	if (pvblk_back_kind.queue->attach(fuzz_vm_dev(&f, &pvblk_back_kind, 0), &s, NULL) < 0)
		fail("the seed's attach failed", "");
	if (getenv("FUZZ_SNAPSHOT_LINUX") && legacy_add(f.vm))
		fail("the seed's legacy ports failed", "");
	latch_trap_read(&f);
	snapw_init(&w);
	if (snap_add_machine(&w, f.vm, err, sizeof(err)) || snap_add_origin(&w, &origin) ||
	    snapw_finish(&w))
		fail("the seed could not be written", err);
	out = fopen(path, "wb");
	if (!out || fputc(0, out) < 0 || fwrite(w.buf, 1, w.len, out) != w.len || fclose(out))
		fail("cannot write the seed", path);
	snapw_free(&w);
	fuzz_vm_destroy(&f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (getenv("FUZZ_SNAPSHOT_SEED")) {
		write_seed(getenv("FUZZ_SNAPSHOT_SEED"));
		exit(0);
	}
	return 0;
}

/* Sections from the input: a selector byte, the instance, a length, its bytes. */
static void write_sections(struct snap_writer *w, struct fuzz_in *in)
{
	static const uint32_t types[] = { SNAP_SEC_VM, SNAP_SEC_DEVICE, SNAP_SEC_DEVICE, 3,
					  SNAP_SEC_PCI, SNAP_SEC_PLATFORM, SNAP_SEC_ORIGIN };
	uint8_t buf[2048]; /* a PCI record is 1296 bytes */

	snapw_init(w);
	while (fi_left(in)) {
		uint32_t type = types[fi_u8(in) % ARRAY_SIZE(types)];
		uint32_t inst = fi_u8(in) % 4;
		size_t len = fi_uint(in, 2) % sizeof(buf);

		fi_bytes(in, buf, len);
		snapw_add(w, type, inst, buf, len);
	}
	if (snapw_finish(w))
		fail("the writer failed", "");
}

static void restore(const struct snap_reader *r)
{
	static struct snap_origin origin;
	struct snap_in in = { .r = *r, .mem_fd = -1 };
	char err[ERR_MAX] = "";
	struct fuzz_vm f;
	const void *p;
	size_t len;
	struct pvq *q;
	const struct trapblk_dev *t;

	p = snapr_find(r, SNAP_SEC_VM, 0, &len);
	if (!p || len != sizeof(in.vm))
		return;
	memcpy(&in.vm, p, sizeof(in.vm));
	if (in.vm.platform > SNAP_PLATFORM_PC) /* snap_in_open refuses it */
		return;
	if (snap_read_origin(r, &origin) == 0)
		in.origin = &origin;
	fuzz_vm_init(&f, RAM, devs, ARRAY_SIZE(devs));
	if (snap_check_devices(&in, f.vm, err, sizeof(err)) == 0) {
		if (snap_restore_devices(&in, f.vm, err, sizeof(err)) == 0) {
			q = fuzz_vm_queue(&f, &pvblk_back_kind, 0, 0);
			if (q && pvq_state(q) == PVQ_ACTIVE) {
				uint64_t v = 0;
				fuzz_vm_pio(&f, q->port, true, &v, 4); /* the guest's doorbell */
			}
			fuzz_vm_io(&f);
			if (q && q->inflight)
				fail("a request in flight after a turn of the I/O thread", "");
			t = fuzz_vm_dev(&f, &trapblk_dev_kind, 0);
			if (t->tr.status[0] & TRAP_ST_BUSY)
				fail("a trap command still busy after a turn of the I/O thread", "");
		} else if (!fuzz_one_line(err)) {
			fail("a device record refused without a one-line reason", err);
		}
	} else if (!fuzz_one_line(err)) {
		fail("a device mismatch without a one-line reason", err);
	}
	fuzz_vm_destroy(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct snap_writer w = { 0 };
	struct snap_reader r;
	char err[256] = "";
	uint8_t mode = fi_u8(&in);
	int rc;

	if (mode & 1) {
		write_sections(&w, &in);
		rc = snapr_open(&r, w.buf, w.len, err, sizeof(err));
		if (rc)
			fail("the reader refused what the writer wrote", err);
	} else {
		rc = snapr_open(&r, in.p, in.n, err, sizeof(err));
		if (rc && (rc != -EINVAL || !fuzz_one_line(err)))
			fail("a refusal other than -EINVAL with a one-line reason", err);
	}
	if (!rc)
		restore(&r);
	snapw_free(&w);
	return 0;
}
