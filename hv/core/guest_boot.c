/* hv's kernel or Linux: RAM layout, loading, entry state (see guest_boot.h). */
#include "core/guest_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "kvm/boot.h"
#include "x86/cpuid.h"
#include "x86/legacy.h"
#include "x86/mptable.h"

#define INITRD_MAX_BYTES (64ull << 30) /* more than any RAM hv gives: the fit check speaks */

/* Maps the initrd read-only; 0 or -errno with err. */
static int map_initrd(const char *path, void **p, size_t *size, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_msg(-errno, err, errlen, "--initrd %s: cannot open: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > INITRD_MAX_BYTES) {
		close(fd);
		return err_msg(-EINVAL, err, errlen, "--initrd %s: not a regular file of 1 byte "
			       "to 64 GiB", path);
	}
	*size = (size_t)st.st_size;
	*p = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (*p == MAP_FAILED)
		return err_msg(-errno, err, errlen, "--initrd %s: cannot map: %s", path,
			       strerror(errno));
	return 0;
}

int guest_boot_load(struct vm *vm, const struct hv_config *cfg, const void *image, size_t size,
		    struct guest_boot *b, char *err, size_t errlen)
{
	enum linux_kind kind = linux_probe(image, size);
	void *initrd = NULL;
	size_t initrd_size = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	if (kind == LINUX_NONE && cfg->initrd)
		return err_msg(-EINVAL, err, errlen,
			       "--initrd is for Linux, and this is not a Linux kernel "
			       "(no PVH note, no bzImage header)");
	rc = kind == LINUX_NONE ? gm_init(&vm->mem, cfg->mem) : gm_init_pc(&vm->mem, cfg->mem);
	if (rc)
		return err_msg(rc, err, errlen, "cannot map %llu MiB of guest RAM: %s",
			       (unsigned long long)(cfg->mem >> 20), strerror(-rc));
	if (kind == LINUX_NONE) {
		rc = elf_load(&vm->mem, image, size, HV_BOOT_AREA_END, &b->ki, err, errlen);
		if (rc == -ENOEXEC && size >= 4 && memcmp(image, "\177ELF", 4))
			return err_msg(rc, err, errlen, "not an ELF file nor a bzImage");
		return rc;
	}
	if (cfg->initrd) {
		rc = map_initrd(cfg->initrd, &initrd, &initrd_size, err, errlen);
		if (rc)
			return rc;
	}
	rc = linux_load(&vm->mem, image, size, initrd, initrd_size, cfg->cmdline, &b->lx, err,
			errlen);
	if (initrd)
		munmap(initrd, initrd_size);
	return rc;
}

int guest_boot_finish(struct vm *vm, const struct hv_config *cfg, struct guest_boot *b,
		      char *err, size_t errlen)
{
	int rc;

	if (b->lx.kind == LINUX_NONE) {
		b->cr3 = boot_setup(vm, &b->ki, cfg->cmdline);
		return b->cr3 ? 0 : err_msg(-EINVAL, err, errlen, "command line too long");
	}
	rc = legacy_add(vm);
	return rc ? err_msg(rc, err, errlen, "legacy ports: %s", strerror(-rc)) : 0;
}

int guest_boot_vcpu(struct kvm_vm *k, const struct guest_boot *b, char *err, size_t errlen)
{
	if (b->lx.kind == LINUX_NONE)
		return kvm_vcpu_boot_state(k, b->ki.entry, HV_BOOT_INFO_GPA, b->cr3, err, errlen);
	return kvm_vcpu_linux_state(k, &b->lx, err, errlen);
}

void guest_boot_describe(FILE *f, const struct hv_config *cfg, const struct guest_boot *b,
			 const struct kvm_vm *k)
{
	const struct linux_entry *e = &b->lx;

	switch (e->kind) {
	case LINUX_NONE:
		fprintf(f, "hv: kernel %s: hv's own (ELF, 64-bit entry with hv boot info): "
			"[0x%llx, 0x%llx) entry 0x%llx\n", cfg->kernel, (unsigned long long)b->ki.lo,
			(unsigned long long)b->ki.hi, (unsigned long long)b->ki.entry);
		break;
	case LINUX_PVH:
		fprintf(f, "hv: kernel %s: Linux vmlinux, PVH entry (32-bit, hvm_start_info at "
			"0x%llx): [0x%llx, 0x%llx) entry 0x%llx\n", cfg->kernel,
			(unsigned long long)e->info, (unsigned long long)e->lo,
			(unsigned long long)e->hi, (unsigned long long)e->rip);
		break;
	default:
		fprintf(f, "hv: kernel %s: Linux bzImage, 64-bit boot protocol %u.%02u (zero page "
			"at 0x%llx): entry 0x%llx\n", cfg->kernel, e->protocol >> 8,
			e->protocol & 0xff, (unsigned long long)e->info, (unsigned long long)e->rip);
		break;
	}
	if (e->kind != LINUX_NONE)
		fprintf(f, "hv: initrd %s: %llu bytes at 0x%llx; MP table at 0x%x, 1 CPU\n",
			cfg->initrd ? cfg->initrd : "(none)", (unsigned long long)e->initrd_size,
			(unsigned long long)e->initrd, MPTABLE_GPA);
	fprintf(f, "hv: RAM %llu MiB%s\n", (unsigned long long)(cfg->mem >> 20),
		e->kind != LINUX_NONE && cfg->mem > GM_HOLE_START ? " (3 GiB below the hole, "
		"the rest from 4 GiB)" : "");
	if (k)
		cpuid_describe(f, k->cpu.kvm_features, &k->cpu.host);
}
