/* isolate: what one guest can find of another: its RAM, its disks, the device windows. */
#include "blkdev.h"
#include "hv_trapblk.h"
#include "hv_trapnet.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "programs.h"
#include "sha256.h"

/*
 * Two guests run this at once, each told its own seed and the other's.
 * A seed names two 32-byte tags, SHA-256("hv-isolate ram SEED") and
 * SHA-256("hv-isolate disk SEED"); a *marked page* is a page that holds its
 * tag 128 times over.  Each guest marks pages of its RAM with its ram tag;
 * its disks come marked with its disk tag (the host wrote them) and it
 * reads their first MiB into RAM.  Then, for a while, it reads every page of
 * guest-physical memory in its memory map and counts the marked pages of
 * both seeds: its own must be there (the search works), the other's never
 * (hv gives the guests nothing in common).  It also lists the devices hv
 * describes and probes the MMIO window and the hole below it, where only
 * its own controllers may answer.  A tag the guest merely computed is 32
 * bytes on its stack, never a marked page, so knowing the other's seed
 * cannot make a false hit.
 */
#define ISO_RAM_PAGES 64    /* pages marked in RAM */
#define ISO_DISK_BYTES (1u << 20) /* read from the start of each disk */
#define ISO_WRITE_PAGES 16  /* ram-tagged pages written at 1 MiB of the first disk */
#define ISO_MMIO_SPAN (1ull << 30) /* hv's device windows: HV_MMIO_BASE + 1 GiB */

enum { MINE_RAM, MINE_DISK, OTHER_RAM, OTHER_DISK, NTAGS };
static const char *const tag_name[NTAGS] = { "mine-ram", "mine-disk", "other-ram", "other-disk" };

static void make_tag(uint8_t out[32], const char *what, const char *seed)
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, "hv-isolate ", 11);
	sha256_update(&s, what, strlen(what));
	sha256_update(&s, " ", 1);
	sha256_update(&s, seed, strlen(seed));
	sha256_final(&s, out);
}

static void mark(uint8_t *page, const uint8_t tag[32])
{
	unsigned i;

	for (i = 0; i < PAGE_SIZE; i += 32)
		memcpy(page + i, tag, 32);
}

/* Which tag marks the page at pa, or -1. */
static int marked(uint64_t pa, const uint8_t tags[NTAGS][32])
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)pa;
	unsigned t, i;

	for (t = 0; t < NTAGS; t++) {
		if (memcmp(p, tags[t], 32))
			continue;
		for (i = 32; i < PAGE_SIZE && !memcmp(p + i, tags[t], 32); i += 32)
			;
		if (i == PAGE_SIZE)
			return (int)t;
	}
	return -1;
}

/* One pass over every page of every region of the memory map: marked pages per tag. */
static void scan(const struct hv_boot_info *bi, const uint8_t tags[NTAGS][32],
		 uint64_t count[NTAGS], uint64_t *pages)
{
	uint32_t r;
	uint64_t pa;
	int t;

	for (t = 0; t < NTAGS; t++)
		count[t] = 0;
	*pages = 0;
	for (r = 0; r < bi->nr_mem && r < HV_BOOT_MAX_MEM; r++)
		for (pa = ALIGN_UP(bi->mem[r].base, PAGE_SIZE);
		     pa + PAGE_SIZE <= bi->mem[r].base + bi->mem[r].len; pa += PAGE_SIZE) {
			(*pages)++;
			if ((t = marked(pa, tags)) >= 0)
				count[t]++;
		}
}

/* The devices hv describes, one line each. */
static void list_devices(void)
{
	struct hv_dev_desc *desc = blkdev_buf_alloc(PAGE_SIZE);
	uint64_t i;

	for (i = 0; desc && hv_call2(HV_HC_DEV_INFO, i, (uint64_t)(uintptr_t)desc) == 0; i++)
		printf("isolate: device %lu type %u index %u capacity %lu base 0x%lx\n", i,
		       desc->type, desc->index, desc->capacity, desc->base);
	printf("isolate: %lu devices\n", i);
	if (desc)
		blkdev_buf_free(desc, PAGE_SIZE);
}

/* One 4-byte read at pa through an uncached mapping; all ones where nothing answers. */
static uint32_t probe(uint64_t pa)
{
	if (paging_map_mmio(pa, 4))
		return 0; /* out of page-table memory: reported as an odd value */
	return *(volatile uint32_t *)(uintptr_t)pa;
}

/*
 * The first 256 windows of the MMIO area (where hv places devices) one by
 * one, then one address in every 2 MiB of the rest of it, then one in
 * every GiB of the hole between RAM and the MMIO area.  Prints every
 * address that answered with something other than all ones.
 */
static void probe_mmio(uint64_t mem)
{
	uint64_t pa, probes = 0, answers = 0;

	for (pa = HV_MMIO_BASE; pa < HV_MMIO_BASE + ISO_MMIO_SPAN;
	     pa += pa < HV_MMIO_BASE + (256u << 12) ? 4096 : 2u << 20) {
		uint32_t v = probe(pa);

		probes++;
		if (v == 0xffffffffu)
			continue;
		answers++;
		if (v == HV_TRAPBLK_MAGIC)
			printf("isolate: mmio 0x%lx trapblk capacity %lu\n", pa,
			       *(volatile uint64_t *)(uintptr_t)(pa + HV_TRAPBLK_R_CAPACITY));
		else if (v == HV_TRAPNET_MAGIC)
			printf("isolate: mmio 0x%lx trapnet\n", pa);
		else
			printf("isolate: mmio 0x%lx answers 0x%x\n", pa, v);
	}
	for (pa = ALIGN_UP(mem, 1ull << 30); pa < HV_MMIO_BASE; pa += 1ull << 30) {
		uint32_t v = probe(pa);

		probes++;
		if (v != 0xffffffffu) {
			answers++;
			printf("isolate: hole 0x%lx answers 0x%x\n", pa, v);
		}
	}
	printf("isolate: mmio %lu probes, %lu answered\n", probes, answers);
}

/* Marks RAM, reads the disks, writes the first one: what the other guest must not find. */
static int plant(const uint8_t tags[NTAGS][32], unsigned *disk_pages)
{
	uint8_t *ram = blkdev_buf_alloc(ISO_RAM_PAGES * PAGE_SIZE);
	struct blkdev *d, *first = blkdev_next(NULL);
	unsigned i;

	if (!ram)
		return -1;
	for (i = 0; i < ISO_RAM_PAGES; i++)
		mark(ram + i * PAGE_SIZE, tags[MINE_RAM]);
	*disk_pages = 0;
	for (d = first; d; d = blkdev_next(d)) {
		uint64_t n = d->sectors * HV_BLK_SECTOR < ISO_DISK_BYTES ?
				     d->sectors * HV_BLK_SECTOR : ISO_DISK_BYTES;
		uint8_t *buf = blkdev_buf_alloc(n);
		uint32_t st = buf ? blkdev_rw(d, HV_BLK_OP_READ, 0, buf, n) : HV_BLK_S_IOERR;

		printf("isolate: read %lu bytes of %s: %s\n", n, d->name, blk_status_name(st));
		if (st != HV_BLK_S_OK)
			return -1;
		*disk_pages += (unsigned)(n / PAGE_SIZE); /* kept: the pages stay in RAM */
	}
	if (first) {
		uint64_t sec = ISO_DISK_BYTES / HV_BLK_SECTOR;
		uint32_t st = first->sectors < sec + ISO_WRITE_PAGES * 8 ? HV_BLK_S_BADREQ :
			      blkdev_rw(first, HV_BLK_OP_WRITE, sec, ram, ISO_WRITE_PAGES * PAGE_SIZE);

		if (st == HV_BLK_S_OK)
			st = blkdev_flush(first);
		printf("isolate: wrote %u marked pages at 1 MiB of %s: %s\n", ISO_WRITE_PAGES,
		       first->name, blk_status_name(st));
		if (st != HV_BLK_S_OK)
			return -1;
	}
	return 0;
}

/*
 * isolate MINE OTHER [SECONDS]: plants MINE's marks, lists the devices,
 * probes MMIO, then scans RAM for SECONDS (default 3).  Exit status 0 if
 * every pass found all of its own marked pages and none of OTHER's.
 */
int cmd_isolate(const struct hv_boot_info *bi, int argc, char **argv)
{
	uint8_t tags[NTAGS][32];
	uint64_t secs = 3, count[NTAGS], lo[NTAGS], hi[NTAGS], pages = 0, passes = 0;
	uint64_t t_filled, t_first = 0, t_last = 0, deadline;
	unsigned disk_pages, t;
	int bad = 0;

	if (argc < 3 || argc > 4 || (argc == 4 && (parse_u64(argv[3], &secs) || !secs))) {
		printf("usage: isolate MINE OTHER [SECONDS]\n");
		return 2;
	}
	make_tag(tags[MINE_RAM], "ram", argv[1]);
	make_tag(tags[MINE_DISK], "disk", argv[1]);
	make_tag(tags[OTHER_RAM], "ram", argv[2]);
	make_tag(tags[OTHER_DISK], "disk", argv[2]);
	if (plant(tags, &disk_pages)) {
		printf("isolate: cannot plant the marks\n");
		return 1;
	}
	t_filled = hv_time_ns();
	printf("isolate: planted at %lu ns: %u ram pages, %u disk pages\n", t_filled,
	       ISO_RAM_PAGES, disk_pages);
	list_devices();
	probe_mmio(bi->mem_size);
	for (t = 0; t < NTAGS; t++)
		lo[t] = ~0ull, hi[t] = 0;
	deadline = hv_time_ns() + secs * 1000000000ull;
	do {
		uint64_t now = hv_time_ns();

		if (!passes)
			t_first = now;
		t_last = now;
		scan(bi, tags, count, &pages);
		passes++;
		for (t = 0; t < NTAGS; t++) {
			lo[t] = count[t] < lo[t] ? count[t] : lo[t];
			hi[t] = count[t] > hi[t] ? count[t] : hi[t];
		}
		bad |= count[MINE_RAM] < ISO_RAM_PAGES || count[MINE_DISK] < disk_pages ||
		       count[OTHER_RAM] || count[OTHER_DISK];
	} while (hv_time_ns() < deadline);
	printf("isolate: %lu passes of %lu pages from %lu to %lu ns\n", passes, pages, t_first,
	       t_last);
	for (t = 0; t < NTAGS; t++)
		printf("isolate: %s marked pages %lu..%lu\n", tag_name[t], lo[t], hi[t]);
	printf("isolate: %s\n", bad ? "FAIL" : "ok");
	return bad;
}
