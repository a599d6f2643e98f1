/*
 * Fuzz target: the ELF loader (hv/kvm/elf_load.c) on any bytes as the kernel
 * image, both ways it loads (hv's kernel by p_vaddr == p_paddr, Linux's by
 * physical address at its PVH note's entry), into guest RAM from malloc (ASan sees past its ends).  Oracles:
 * ASan and UBSan, and the loader's own promises: an error is -ENOEXEC or
 * -ERANGE with a one-line reason and guest RAM untouched; a success loaded
 * segments inside [min_gpa, RAM) with the entry point among them.  RAM and
 * the boot area are small (hv's are 64 MiB and 1 MiB) so the fuzzer's
 * images can fill them; the loader takes both as parameters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/elf_load.h"
#include "fuzz_check.h"
#include "core/util.h"

#define RAM (64u << 10)
#define MIN_GPA 0x1000

static __attribute__((noreturn)) void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz: elf_load: %s (reason: '%s')\n", what, err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const struct elf_info *info, const char *err, const uint8_t *ram,
		  const uint8_t *zero)
{
	if (rc) {
		if (rc != -ENOEXEC && rc != -ERANGE)
			fail("an error other than ENOEXEC or ERANGE", err);
		if (!fuzz_one_line(err))
			fail("an error without a one-line reason", err);
		if (memcmp(ram, zero, RAM))
			fail("guest RAM written by a load that failed", err);
	} else if (info->lo < MIN_GPA || info->lo >= info->hi || info->hi > RAM ||
		   info->entry < info->lo || info->entry >= info->hi) {
		fail("a load outside [min_gpa, RAM) or an entry outside it", err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One RAM for every run, zeroed before each: fresh pages cost more than a load. */
	static uint8_t *ram, *zero;
	struct guest_mem gm = { ram, RAM, RAM };
	struct elf_info info;
	char err[ERR_MAX] = "";
	int rc;

	if (!ram) {
		ram = malloc(RAM);
		zero = calloc(1, RAM);
		if (!ram || !zero)
			abort();
		gm.host = ram;
	}
	memset(ram, 0, RAM);
	rc = elf_load(&gm, data, size, MIN_GPA, &info, err, sizeof(err));
	check(rc, &info, err, ram, zero);
	memset(ram, 0, RAM);
	err[0] = '\0';
	rc = elf_load_pvh(&gm, data, size, MIN_GPA, &info, err, sizeof(err));
	check(rc, &info, err, ram, zero);
	return 0;
}
