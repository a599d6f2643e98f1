/*
 * The snapshot state file (hv/snap/snapfile.c) and the device check of
 * --restore (snapshot.c): a file written is read back section by section;
 * every shorter file, every one-byte corruption, another format or ABI
 * version and a foreign file are refused with their one line; a crafted
 * file with a good checksum but a section running past the end is refused
 * too; devices on the command line must be the snapshot's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/vm.h"
#include "hv_abi.h"
#include "pv/pvblk_back.h"
#include "pci/pci.h"
#include "snap/snap_dev.h"
#include "snap/snap_pci.h"
#include "snap/snapfile.h"
#include "snap/snapshot.h"
#include "suites.h"
#include "trap/trapblk_dev.h"
#include "x86/legacy.h"
#include "ut.h"

static void build(struct snap_writer *w)
{
	static const char a[] = "first section", b[5] = { 1, 2, 3, 4, 5 };

	snapw_init(w);
	CU_ASSERT_EQUAL(snapw_add(w, 7, 0, a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(snapw_add(w, 7, 1, b, sizeof(b)), 0);
	CU_ASSERT_EQUAL(snapw_add(w, 9, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(snapw_finish(w), 0);
}

static void test_crc32c(void)
{
	/* The check value of CRC-32C (Castagnoli) over "123456789". */
	CU_ASSERT_EQUAL(snap_crc32c(0, "123456789", 9), 0xe3069283u);
	/* In pieces, the same. */
	CU_ASSERT_EQUAL(snap_crc32c(snap_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}

static void test_round_trip(void)
{
	struct snap_writer w;
	struct snap_reader r;
	char err[256];
	const uint8_t *p;
	size_t len;

	build(&w);
	CU_ASSERT_EQUAL(w.len % 8, 0);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.nr, 3);
	p = snapr_find(&r, 7, 0, &len);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(len, sizeof("first section"));
	CU_ASSERT_STRING_EQUAL((const char *)p, "first section");
	p = snapr_find(&r, 7, 1, &len);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(p[4], 5);
	CU_ASSERT_PTR_NOT_NULL(snapr_find(&r, 9, 0, &len));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_PTR_NULL(snapr_find(&r, 7, 2, &len));
	CU_ASSERT_PTR_NULL(snapr_find(&r, 8, 0, &len));
	snapw_free(&w);
}

static void test_every_truncation(void)
{
	struct snap_writer w;
	struct snap_reader r;
	char err[256];
	size_t n;

	build(&w);
	for (n = 0; n < w.len; n++) {
		CU_ASSERT_EQUAL(snapr_open(&r, w.buf, n, err, sizeof(err)), -EINVAL);
		CU_ASSERT(strstr(err, n < 6 ? "not an hv snapshot" : "truncated snapshot") != NULL);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
	snapw_free(&w);
}

static void test_every_byte_flipped(void)
{
	struct snap_writer w;
	struct snap_reader r;
	char err[256];
	size_t i;

	build(&w);
	for (i = 0; i < w.len; i++) {
		w.buf[i] ^= 0x10;
		CU_ASSERT_EQUAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), -EINVAL);
		w.buf[i] ^= 0x10;
	}
	CU_ASSERT_EQUAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), 0);
	w.buf[w.len / 2] ^= 1;
	snapr_open(&r, w.buf, w.len, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "corrupted snapshot (checksum mismatch)");
	snapw_free(&w);
}

/* Rewrites the checksum after an edit: what someone crafting a file would do. */
static void reseal(struct snap_writer *w)
{
	uint32_t crc = snap_crc32c(0, w->buf, w->len - 8);

	memcpy(w->buf + w->len - 8, &crc, 4);
}

static void test_versions_and_foreign(void)
{
	struct snap_writer w;
	struct snap_reader r;
	struct snap_hdr h;
	char err[256];
	uint8_t *big;

	build(&w);
	memcpy(&h, w.buf, sizeof(h));
	h.format = 2; /* no platform or origin records */
	memcpy(w.buf, &h, sizeof(h));
	reseal(&w);
	CU_ASSERT_EQUAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "snapshot format version 2, this hv reads version 3");
	h.format = SNAP_FORMAT_VERSION;
	h.abi = HV_ABI_VERSION + 1;
	memcpy(w.buf, &h, sizeof(h));
	reseal(&w);
	CU_ASSERT_EQUAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "hv ABI version") != NULL);
	CU_ASSERT_EQUAL(snapr_open(&r, "\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
				       "\0\0\0\0\0\0\0", 36, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "not an hv snapshot (no magic)");
	/* A good file with bytes after it is not that file. */
	h.abi = HV_ABI_VERSION;
	memcpy(w.buf, &h, sizeof(h));
	reseal(&w);
	big = calloc(1, w.len + 8);
	memcpy(big, w.buf, w.len);
	CU_ASSERT_EQUAL(snapr_open(&r, big, w.len + 8, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "corrupted snapshot") != NULL);
	free(big);
	snapw_free(&w);
}

static void test_crafted_sections(void)
{
	struct snap_writer w;
	struct snap_reader r;
	struct snap_sec s;
	char err[256];
	uint64_t huge[] = { 1u << 20, UINT64_MAX, UINT64_MAX - 3, 200 };
	size_t i;

	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		build(&w);
		memcpy(&s, w.buf + sizeof(struct snap_hdr), sizeof(s));
		s.len = huge[i];
		memcpy(w.buf + sizeof(struct snap_hdr), &s, sizeof(s));
		reseal(&w);
		CU_ASSERT_EQUAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, "corrupted snapshot (bad section records)");
		snapw_free(&w);
	}
	/* The header's count must be the records'. */
	build(&w);
	w.buf[24] = 4; /* nr_sections */
	reseal(&w);
	CU_ASSERT_EQUAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), -EINVAL);
	snapw_free(&w);
}

/* A state file with only the VM record and one device record, as snap_create writes them. */
static void fake_snapshot(struct snap_writer *w, const struct vm *vm, uint64_t capacity)
{
	struct snap_vm_rec vr = { vm->mem.size, vm->mem.low, vm->nr_dev, 0, 0, SNAP_PLATFORM_HV, 0 };
	uint8_t buf[sizeof(struct snap_dev_rec) + SNAP_DEV_REC_MAX];
	unsigned i;

	snapw_init(w);
	for (i = 0; i < vm->nr_dev; i++) {
		struct snap_dev_rec d = { .index = vm->dev[i].index, .desc = vm->desc[i] };
		size_t len = 0;

		snprintf(d.kind, sizeof(d.kind), "%s", vm->dev[i].kind->name);
		if (vm->dev[i].kind == &pvblk_back_kind)
			d.desc.capacity = capacity;
		CU_ASSERT_EQUAL(vm->dev[i].kind->save(vm->dev[i].dev, buf + sizeof(d),
						      SNAP_DEV_REC_MAX, &len), 0);
		d.rec_len = (uint32_t)len;
		memcpy(buf, &d, sizeof(d));
		snapw_add(w, SNAP_SEC_DEVICE, i, buf, sizeof(d) + len);
	}
	if (vm->pci)
		snap_pci_save(w, vm->pci);
	snapw_add(w, SNAP_SEC_VM, 0, &vr, sizeof(vr));
	CU_ASSERT_EQUAL(snapw_finish(w), 0);
}

static struct pci_func *first_msix_func(const struct vm *vm)
{
	unsigned s;

	for (s = 0; vm->pci && s < PCI_SLOTS; s++)
		if (vm->pci->slot[s] && vm->pci->slot[s]->has_msix)
			return vm->pci->slot[s];
	return NULL;
}

static void cfg_write(struct pci_func *f, unsigned off, uint64_t v, unsigned size)
{
	pci_cfg_io(f, off, true, &v, size);
}

static void tab_write(struct pci_func *f, unsigned entry, const uint32_t words[4])
{
	unsigned w;

	for (w = 0; w < 4; w++) {
		uint64_t v = words[w];
		msix_bar_io(&f->msix, entry * MSIX_ENTRY_BYTES + w * 4, true, &v, 4);
	}
}

/*
 * A PV disk's PCI function as its guest left it (BAR 0 moved, MSI-X on,
 * its entry masked with its pending bit set) is the same
 * function after a restore on a new VM: config space, table, pending bits,
 * BAR 0 decoded where the guest put it.  A file without its record is
 * refused.
 */
static void test_pci_functions(void)
{
	static uint8_t disk[64 << 10];
	char path2[UT_PATH_MAX];
	static const uint32_t e0[4] = { 0xfee00000u, 0, 0x41, 0 }, e1[4] = { 0xfee01000u, 0, 0x42, 1 };
	char path[UT_PATH_MAX], err[512];
	struct snap_writer w;
	struct snap_reader r;
	struct pci_func *f, *g;
	struct vm *a, *b;

	ut_image_make(path, disk, sizeof(disk));
	ut_image_make(path2, disk, sizeof(disk)); /* an image is locked by the VM that has it */
	a = ut_vm_with(1 << 20, &pvblk_back_kind, path);
	b = ut_vm_with(1 << 20, &pvblk_back_kind, path2);
	CU_ASSERT_FATAL(a && b);
	f = first_msix_func(a);
	g = first_msix_func(b);
	CU_ASSERT_FATAL(f && g);
	cfg_write(f, PCI_CFG_BAR0, 0xd0004000u, 4);
	cfg_write(f, PCI_CFG_MSIX + 2, PCI_MSIX_ENABLE, 2);
	CU_ASSERT_EQUAL_FATAL(f->msix.n, 1); /* the disk's one queue */
	tab_write(f, 0, e1);
	CU_ASSERT_EQUAL(msix_signal(&f->msix, 0), 0);
	CU_ASSERT_TRUE_FATAL(msix_pending(&f->msix, 0));
	CU_ASSERT_EQUAL(f->bar_mapped, 0xd0004000u);

	snapw_init(&w);
	snap_pci_save(&w, a->pci);
	CU_ASSERT_EQUAL_FATAL(snapw_finish(&w), 0);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snap_pci_load(&r, b->pci, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(f->cfg, g->cfg, sizeof(f->cfg)), 0);
	CU_ASSERT_EQUAL(memcmp(f->msix.tab, g->msix.tab, sizeof(f->msix.tab)), 0);
	CU_ASSERT_TRUE(g->msix.enabled);
	CU_ASSERT_TRUE(msix_pending(&g->msix, 0));
	CU_ASSERT_EQUAL(g->bar_mapped, 0xd0004000u);
	/* Unmasked, the pending message goes and the bit clears, on both alike. */
	tab_write(f, 0, e0);
	tab_write(g, 0, e0);
	CU_ASSERT_FALSE(msix_pending(&f->msix, 0));
	CU_ASSERT_FALSE(msix_pending(&g->msix, 0));
	CU_ASSERT_EQUAL(g->msix.sent, f->msix.sent);
	snapw_free(&w);

	snapw_init(&w);
	CU_ASSERT_EQUAL(snapw_add(&w, SNAP_SEC_VM, 0, "x", 1), 0);
	CU_ASSERT_EQUAL_FATAL(snapw_finish(&w), 0);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snap_pci_load(&r, b->pci, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "corrupted snapshot (no PCI function 00:00.0)") != NULL);
	snapw_free(&w);
	ut_vm_free(a);
	ut_vm_free(b);
	unlink(path);
	unlink(path2);
}

static void test_devices_checked(void)
{
	static uint8_t disk[64 << 10];
	char path[UT_PATH_MAX], arg[UT_PATH_MAX + 8], err[512];
	struct snap_writer w;
	struct snap_in in = { .mem_fd = -1 };
	struct vm *vm;

	ut_image_make(path, disk, sizeof(disk));
	snprintf(arg, sizeof(arg), "%s", path);
	vm = ut_vm_with(1 << 20, &pvblk_back_kind, arg);
	CU_ASSERT_FATAL(vm != NULL);
	fake_snapshot(&w, vm, sizeof(disk) / 512);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&in.r, w.buf, w.len, err, sizeof(err)), 0);
	in.vm.nr_dev = vm->nr_dev;
	CU_ASSERT_EQUAL(snap_check_devices(&in, vm, err, sizeof(err)), 0);
	/* A detached queue's record restores to a detached queue. */
	CU_ASSERT_EQUAL(snap_restore_devices(&in, vm, err, sizeof(err)), 0);
	snapw_free(&w);

	fake_snapshot(&w, vm, sizeof(disk) / 512 * 2);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&in.r, w.buf, w.len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snap_check_devices(&in, vm, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "differs from the snapshot's (capacity 256 sectors there, 128 here)")
		  != NULL);
	in.vm.nr_dev = vm->nr_dev + 1;
	CU_ASSERT_EQUAL(snap_check_devices(&in, vm, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "give the same --disk") != NULL);
	snapw_free(&w);
	ut_vm_free(vm);
	unlink(path);
}

/* One port access through the VM's port bus, as the vCPU loop makes it. */
static uint64_t pio(struct vm *vm, uint16_t port, bool write, uint64_t v)
{
	CU_ASSERT_TRUE(io_bus_access(&vm->pio, port, write, &v, 1));
	return v;
}

/*
 * A Linux guest's platform: the keyboard controller's configuration byte,
 * a CMOS RAM byte and index, and the PCI address register, set through
 * the ports, come back on a new VM that had no legacy ports (restore adds
 * them as a boot would); hv's own kernel's snapshot has no platform, and a
 * platform record in one, or none in a Linux one, is refused.
 */
static void test_platform(void)
{
	char err[512];
	struct snap_writer w;
	struct snap_in in = { .mem_fd = -1 };
	struct vm *a = ut_vm_with(1 << 20, &pvblk_back_kind, "null:1M");
	struct vm *b = ut_vm_with(1 << 20, &pvblk_back_kind, "null:1M");
	const void *p;
	size_t len;

	CU_ASSERT_FATAL(a && b);
	CU_ASSERT_EQUAL_FATAL(legacy_add(a), 0);
	pio(a, 0x64, true, 0x60); /* write the controller configuration byte: */
	pio(a, 0x60, true, 0x47);
	pio(a, 0x70, true, 0x40); /* CMOS RAM byte 0x40 */
	pio(a, 0x71, true, 0x5a);
	pio(a, 0x70, true, 0x41); /* left selected */
	a->pci->addr = 0x80000810u;
	snapw_init(&w);
	CU_ASSERT_EQUAL(snap_add_machine(&w, a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(snapw_finish(&w), 0);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&in.r, w.buf, w.len, err, sizeof(err)), 0);
	p = snapr_find(&in.r, SNAP_SEC_VM, 0, &len);
	CU_ASSERT_FATAL(p && len == sizeof(in.vm));
	memcpy(&in.vm, p, sizeof(in.vm));
	CU_ASSERT_EQUAL(in.vm.platform, SNAP_PLATFORM_PC);
	CU_ASSERT_EQUAL(in.vm.pci_addr, 0x80000810u);
	CU_ASSERT_EQUAL_FATAL(snap_check_devices(&in, b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(snap_restore_devices(&in, b, err, sizeof(err)), 0);
	CU_ASSERT_FATAL(b->platform != NULL);
	CU_ASSERT_EQUAL(b->pci->addr, 0x80000810u);
	CU_ASSERT_EQUAL(pio(b, 0x71, false, 0), 0); /* byte 0x41, still selected */
	pio(b, 0x70, true, 0x40);
	CU_ASSERT_EQUAL(pio(b, 0x71, false, 0), 0x5a);
	pio(b, 0x64, true, 0x20); /* read the configuration byte */
	CU_ASSERT_EQUAL(pio(b, 0x60, false, 0), 0x47);
	/* Told it is hv's kernel, the record is one too many. */
	in.vm.platform = SNAP_PLATFORM_HV;
	CU_ASSERT_EQUAL(snap_restore_devices(&in, b, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "corrupted snapshot (a platform record for hv's kernel)");
	snapw_free(&w);
	/* A Linux VM record without the platform's. */
	snapw_init(&w);
	CU_ASSERT_EQUAL(snapw_add(&w, SNAP_SEC_VM, 0, &in.vm, sizeof(in.vm)), 0);
	CU_ASSERT_EQUAL_FATAL(snapw_finish(&w), 0);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&in.r, w.buf, w.len, err, sizeof(err)), 0);
	in.vm.platform = SNAP_PLATFORM_PC;
	CU_ASSERT_EQUAL(snap_restore_devices(&in, b, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "corrupted snapshot (no platform record)");
	snapw_free(&w);
	ut_vm_free(a);
	ut_vm_free(b);
}

/* The origin record: read back as written; lengths that do not add up are refused. */
static void test_origin(void)
{
	static struct snap_origin o = { "build/testvm/vmlinux", "", "console=ttyS0 quiet" }, back;
	struct snap_writer w;
	struct snap_reader r;
	char err[256];
	uint8_t *p;
	size_t len;

	snapw_init(&w);
	CU_ASSERT_EQUAL(snap_add_origin(&w, &o), 0);
	CU_ASSERT_EQUAL_FATAL(snapw_finish(&w), 0);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snap_read_origin(&r, &back), 0);
	CU_ASSERT_STRING_EQUAL(back.kernel, o.kernel);
	CU_ASSERT_STRING_EQUAL(back.initrd, "");
	CU_ASSERT_STRING_EQUAL(back.cmdline, o.cmdline);
	p = (uint8_t *)snapr_find(&r, SNAP_SEC_ORIGIN, 0, &len);
	CU_ASSERT_FATAL(p != NULL);
	p[0]++; /* the kernel's length: one more than there is */
	CU_ASSERT_EQUAL(snap_read_origin(&r, &back), -EINVAL);
	p[0]--;
	p[16] = 0; /* a NUL inside a string */
	CU_ASSERT_EQUAL(snap_read_origin(&r, &back), -EINVAL);
	snapw_free(&w);
	snapw_init(&w);
	CU_ASSERT_EQUAL_FATAL(snapw_finish(&w), 0);
	CU_ASSERT_EQUAL_FATAL(snapr_open(&r, w.buf, w.len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(snap_read_origin(&r, &back), -EINVAL); /* none */
	snapw_free(&w);
}

static uint64_t mmio(struct vm *vm, uint64_t gpa, bool write, uint64_t v, unsigned size)
{
	CU_ASSERT_TRUE(io_bus_access(&vm->mmio, gpa, write, &v, size));
	return v;
}

/*
 * A trap disk's registers as its guest set them (SECTOR, COUNT, DMA, IER)
 * and the last command's BYTES come back on a new VM through the kind's
 * save and load; a record the device could never have held is refused.
 */
static void test_trap_disk(void)
{
	struct vm *a = ut_vm_with(1 << 20, &trapblk_dev_kind, "null:1M");
	struct vm *b = ut_vm_with(1 << 20, &trapblk_dev_kind, "null:1M");
	struct trapblk_dev *ta = a->dev[1].dev, *tb = b->dev[1].dev;
	uint64_t base = ta->tr.base;
	struct snap_trap_rec r;
	size_t len = 0;

	CU_ASSERT_FATAL(a->dev[1].kind == &trapblk_dev_kind && tb->tr.base == base);
	mmio(a, base + HV_TRAPBLK_R_SECTOR, true, 0x123456789ull, 8);
	mmio(a, base + HV_TRAPBLK_R_COUNT, true, 16, 4);
	mmio(a, base + HV_TRAPBLK_R_DMA, true, 0x8000, 8);
	mmio(a, base + HV_TRAPBLK_R_IER, true, HV_TRAPBLK_INT_DONE, 4);
	ta->bytes = 4096;
	CU_ASSERT_EQUAL_FATAL(trapblk_dev_kind.save(ta, &r, sizeof(r), &len), 0);
	CU_ASSERT_EQUAL(len, sizeof(r));
	CU_ASSERT_EQUAL(r.tr.rerun, 0);
	CU_ASSERT_EQUAL(r.tr.nr_fields, 7); /* SECTOR, COUNT, DMA; their latches and CMD's */
	CU_ASSERT_EQUAL(trapblk_dev_kind.load(tb, &r, sizeof(r), NULL), 0);
	CU_ASSERT_EQUAL(mmio(b, base + HV_TRAPBLK_R_SECTOR, false, 0, 8), 0x123456789ull);
	CU_ASSERT_EQUAL(mmio(b, base + HV_TRAPBLK_R_COUNT, false, 0, 4), 16);
	CU_ASSERT_EQUAL(mmio(b, base + HV_TRAPBLK_R_DMA, false, 0, 8), 0x8000);
	CU_ASSERT_EQUAL(mmio(b, base + HV_TRAPBLK_R_IER, false, 0, 4), HV_TRAPBLK_INT_DONE);
	CU_ASSERT_EQUAL(mmio(b, base + HV_TRAPBLK_R_BYTES, false, 0, 4), 4096);
	/* Refused: a busy channel that would not run again, bits the device has not. */
	r.tr.status[0] = TRAP_ST_BUSY;
	CU_ASSERT_EQUAL(trapblk_dev_kind.load(tb, &r, sizeof(r), NULL), -EINVAL);
	r.tr.status[0] = 0;
	r.tr.isr = 1u << 5;
	CU_ASSERT_EQUAL(trapblk_dev_kind.load(tb, &r, sizeof(r), NULL), -EINVAL);
	r.tr.isr = 0;
	r.tr.nr_fields = 6;
	CU_ASSERT_EQUAL(trapblk_dev_kind.load(tb, &r, sizeof(r), NULL), -EINVAL);
	r.tr.nr_fields = 7;
	CU_ASSERT_EQUAL(trapblk_dev_kind.load(tb, &r, sizeof(r) - 1, NULL), -EINVAL);
	ut_vm_free(a);
	ut_vm_free(b);
}

static void test_cli_restore(void)
{
	char *ok[] = { "hv", "run", "--restore", "s", "--disk", "a.img" };
	char *kernel[] = { "hv", "run", "--restore", "s", "k.elf" };
	char *args[] = { "hv", "run", "--restore", "s", "k.elf", "--", "hello" }; /* the fuzzer's find */
	char *empty[] = { "hv", "run", "--restore=" };
	struct hv_config cfg;
	char err[256];

	CU_ASSERT_EQUAL(cli_parse(6, ok, &cfg, err, sizeof(err)), CLI_RUN);
	CU_ASSERT_STRING_EQUAL(cfg.restore, "s");
	CU_ASSERT_PTR_NULL(cfg.kernel);
	CU_ASSERT_EQUAL(cfg.nr_dev, 1);
	CU_ASSERT_EQUAL(cli_parse(5, kernel, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--restore resumes a snapshot: give no KERNEL");
	CU_ASSERT_EQUAL(cli_parse(7, args, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--restore resumes a snapshot: give no KERNEL");
	CU_ASSERT_EQUAL(cli_parse(3, empty, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--restore: no snapshot given");
}

int suite_snap(void)
{
	static const CU_TestInfo tests[] = {
		{ "CRC32C check value", test_crc32c },
		{ "written, read back by section", test_round_trip },
		{ "every truncation refused", test_every_truncation },
		{ "every byte flipped refused", test_every_byte_flipped },
		{ "other versions, foreign files, trailing bytes", test_versions_and_foreign },
		{ "crafted sections with a good checksum", test_crafted_sections },
		{ "devices on the command line checked", test_devices_checked },
		{ "hv run --restore on the command line", test_cli_restore },
		{ "PCI functions and MSI-X tables restored", test_pci_functions },
		{ "a Linux guest's platform restored", test_platform },
		{ "the origin record", test_origin },
		{ "a trap disk's registers restored", test_trap_disk },
		CU_TEST_INFO_NULL,
	};
	return add_suite("snapshot file", tests);
}
