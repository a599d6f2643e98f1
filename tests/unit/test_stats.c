/*
 * --stats' memory line reads /proc/self/smaps (core/stats.c): here a file
 * of the test's own in smaps' format stands in, with mappings inside and
 * outside a guest RAM range, more than one read's worth of text (a line
 * cut between reads), and the refusals; then this process's own smaps, for
 * a range of its own where some pages were written and some only read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/stats.h"
#include "suites.h"
#include "ut.h"

/* A temporary file holding text, unlinked; its fd. */
static int text_file(const char *text)
{
	char path[] = "/tmp/hv-ut-smaps-XXXXXX";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

/* One mapping [start, end) with rss KiB resident, smaps' lines for it appended to out. */
static void mapping(char *out, size_t len, unsigned long start, unsigned long end, unsigned rss,
		    const char *path)
{
	size_t used = strlen(out);

	snprintf(out + used, len - used,
		 "%lx-%lx rw-p 00000000 00:00 0                          %s\n"
		 "Size:             %8lu kB\nKernelPageSize:        4 kB\nRss:            %8u kB\n"
		 "Pss:            %8u kB\nAnonymous:      %8u kB\nAnonHugePages:         0 kB\n"
		 "FilePmdMapped:         0 kB\nSwap:                  0 kB\n"
		 "VmFlags: rd wr mr mw me ac sd \n",
		 start, end, path, (end - start) >> 10, rss, rss, rss);
}

static void test_guest_and_own(void)
{
	static char text[64 * 1024];
	struct guest_mem gm = { .host = (uint8_t *)0x7f0000000000ul, .size = 1ul << 30 };
	uint64_t all, guest, want_all = 0, want_guest = 0;
	unsigned i;
	int fd;

	text[0] = 0;
	/* Many small mappings of hv's own: the text spans several reads. */
	for (i = 0; i < 40; i++) {
		mapping(text, sizeof(text), 0x400000ul + i * 0x10000, 0x410000ul + i * 0x10000, 12,
			"/usr/bin/hv");
		want_all += 12;
	}
	/* Guest RAM split in two mappings (as a restore's file mapping would), all inside. */
	mapping(text, sizeof(text), 0x7f0000000000ul, 0x7f0010000000ul, 2048, "");
	mapping(text, sizeof(text), 0x7f0010000000ul, 0x7f0040000000ul, 1024, "/tmp/vm.snap");
	want_all += 3072;
	want_guest += 3072;
	/* Next to it, not in it. */
	mapping(text, sizeof(text), 0x7f0040000000ul, 0x7f0040100000ul, 64, "[stack]");
	want_all += 64;
	fd = text_file(text);
	CU_ASSERT_EQUAL(stats_smaps_rss(fd, &gm, &all, &guest), 0);
	CU_ASSERT_EQUAL(all, want_all);
	CU_ASSERT_EQUAL(guest, want_guest);
	close(fd);
}

static void test_refused(void)
{
	struct guest_mem gm = { .host = (uint8_t *)0x7f0000000000ul, .size = 1ul << 30 };
	static char text[8192];
	uint64_t all, guest;
	int fd;

	fd = text_file("");
	CU_ASSERT_EQUAL(stats_smaps_rss(fd, &gm, &all, &guest), -ENODATA);
	close(fd);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = 0;
	fd = text_file(text);
	CU_ASSERT_EQUAL(stats_smaps_rss(fd, &gm, &all, &guest), -E2BIG);
	close(fd);
	CU_ASSERT_EQUAL(stats_smaps_rss(-1, &gm, &all, &guest), -EBADF);
	/* A mapping straddling guest RAM's end: its Rss cannot be split. */
	text[0] = 0;
	mapping(text, sizeof(text), 0x7f0000000000ul, 0x7f0000100000ul, 8, "");
	mapping(text, sizeof(text), 0x7f003ff00000ul, 0x7f0040100000ul, 8, "");
	fd = text_file(text);
	CU_ASSERT_EQUAL(stats_smaps_rss(fd, &gm, &all, &guest), -ERANGE);
	close(fd);
}

/*
 * The real thing: 64 pages of this process's, 5 written and 3 only read
 * (the shared zero page, which mincore would count): guest RAM is the 5.
 */
static void test_own_smaps(void)
{
	enum { PAGES = 64 };
	long page = sysconf(_SC_PAGESIZE);
	struct guest_mem gm = { .size = (uint64_t)PAGES * (uint64_t)page };
	volatile uint8_t *p;
	uint64_t all, guest;
	unsigned i, sum = 0;
	int fd;

	gm.host = mmap(NULL, gm.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(gm.host != MAP_FAILED);
	/* Its own mapping: no neighbour merges into it, no huge page rounds it up. */
	madvise(gm.host, gm.size, MADV_NOHUGEPAGE);
	p = gm.host;
	for (i = 0; i < 5; i++)
		p[(2 * i + 1) * page] = 1;
	for (i = 0; i < 3; i++)
		sum += p[(20 + i) * page];
	CU_ASSERT_EQUAL(sum, 0);
	fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		munmap(gm.host, gm.size);
		CU_FAIL("no /proc/self/smaps");
		return;
	}
	CU_ASSERT_EQUAL(stats_smaps_rss(fd, &gm, &all, &guest), 0);
	CU_ASSERT_EQUAL(guest, 5 * (uint64_t)page / 1024);
	CU_ASSERT(all > guest);
	close(fd);
	munmap(gm.host, gm.size);
}

int suite_stats(void)
{
	static const CU_TestInfo t[] = {
		{ "smaps: hv's own and guest RAM's resident KiB", test_guest_and_own },
		{ "smaps: empty, a line too long, no fd, a mapping across guest RAM's end refused",
		  test_refused },
		{ "smaps: this process's own, written pages counted, zero-page reads not",
		  test_own_smaps },
		CU_TEST_INFO_NULL,
	};
	return add_suite("stats", t);
}
