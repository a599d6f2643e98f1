/*
 * The KVM layer: /dev/kvm, the VM, its memory slot and in-kernel irqchip, the
 * vCPU and its shared kvm_run page, and KVM's binary statistics.  Everything
 * else in hv talks to KVM through this interface.
 */
#ifndef HV_KVM_H
#define HV_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "kvm/guest_mem.h"

enum kvm_backend {
	KVM_BACKEND_UNKNOWN = 0,
	KVM_BACKEND_PVM,
	KVM_BACKEND_VMX,
	KVM_BACKEND_SVM,
};

struct kvm_stats {
	int fd;
	unsigned n;
	struct kvm_stats_desc_entry {
		char name[64];
		uint32_t flags;
		uint64_t offset; /* of the value in the fd's data block */
	} *d;
	uint64_t data_off;
	uint64_t data_len;
};

/* trap devices' vectors and every MSI-X entry of the PV devices' PCI functions */
#define KVM_MAX_MSI_ROUTES 64
#define KVM_MSI_GSI_BASE 32 /* above the IOAPIC's pins */
#define KVM_IOAPIC_PINS 24
#define KVM_PIC_PINS 16
/* KVM's default routes (PIC and IOAPIC pins) kept in every table, then hv's MSIs. */
#define KVM_MAX_ROUTES (KVM_PIC_PINS + KVM_IOAPIC_PINS + KVM_MAX_MSI_ROUTES)

/* CPUID words the vCPU was given that decide its entry state (kvm_boot_x86.c). */
struct kvm_cpu_features {
	uint32_t leaf1_ecx, leaf1_edx; /* CPUID 1 */
	uint32_t ext1_edx;             /* CPUID 0x80000001 */
	uint32_t kvm_features;         /* KVM's supported 0x40000001 EAX, before hv hides any */
};

struct kvm_vm {
	int sys_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	enum kvm_backend backend;
	struct kvm_cpu_features cpu;
	struct kvm_stats vm_stats, vcpu_stats;
	/* The MSI routes: queues attach and detach on any vCPU, devices wire at setup. */
	pthread_mutex_t irq_lock;
	struct kvm_irq_routing_entry msi[KVM_MAX_MSI_ROUTES];
	unsigned nr_msi;
};

/* Where /dev/kvm is; tests point it elsewhere with HV_KVM_DEV. */
#define KVM_DEV_PATH "/dev/kvm"

/*
 * Opens KVM, checks the API and the capabilities hv needs, creates the VM
 * with the in-kernel irqchip and maps gm as slot 0.  On failure returns
 * -errno with a one-line reason in err.
 */
int kvm_vm_create(struct kvm_vm *k, const struct guest_mem *gm, char *err, size_t errlen);

/* Creates vCPU 0, maps kvm_run, sets CPUID and sync-regs; -errno and err. */
int kvm_vcpu_create(struct kvm_vm *k, char *err, size_t errlen);

/*
 * Sets the vCPU's entry state for a 64-bit kernel (kvm_boot_x86.c): segments
 * from hv's boot GDT, CR4/EFER bits only where k->cpu reports the feature.
 */
int kvm_vcpu_boot_state(struct kvm_vm *k, uint64_t entry, uint64_t boot_info,
			uint64_t cr3, char *err, size_t errlen);

struct linux_entry;
/*
 * Sets the boot MSRs and Linux's entry state (e->kind: PVH's 32-bit entry or
 * the 64-bit boot protocol's), segments from linux_gdt.  0 or -errno and err.
 */
int kvm_vcpu_linux_state(struct kvm_vm *k, const struct linux_entry *e, char *err,
			 size_t errlen);

void kvm_vm_destroy(struct kvm_vm *k);

/*
 * Doorbells and completion interrupts (kvm_irq.c).  A 32-bit write of any
 * value to port signals fd inside KVM, without an exit to hv; signalling fd
 * raises an MSI with the given vector at vCPU 0's local APIC.  0 or -errno.
 */
int kvm_ioeventfd_pio(struct kvm_vm *k, uint16_t port, unsigned len, int fd, bool assign);
/*
 * The routing table hv hands KVM_SET_GSI_ROUTING: KVM's default PIC and
 * IOAPIC routes (GSI i to IOAPIC pin i, GSI 0-15 also to the PICs), then
 * every MSI route.  out has room for KVM_MAX_ROUTES; returns the count.
 */
unsigned kvm_irq_routes(const struct kvm_vm *k, struct kvm_irq_routing_entry *out);
/* Signalling fd raises IOAPIC pin gsi (an edge: a legacy device's interrupt).  0 or -errno. */
int kvm_irqfd_gsi(struct kvm_vm *k, uint32_t gsi, int fd);
/* Returns the GSI the route took (for kvm_irqfd_msi_remove), or -errno. */
int kvm_irqfd_msi(struct kvm_vm *k, uint32_t vector, int fd);
/*
 * The same for any MSI message (an MSI-X entry's address and data, as the
 * guest wrote them: KVM delivers wherever they say).  The GSI or -errno.
 */
struct kvm_msi_msg {
	uint32_t address_lo, address_hi, data;
};
int kvm_irqfd_msi_msg(struct kvm_vm *k, const struct kvm_msi_msg *m, int fd);
/* Points an existing MSI route at a new message (KVM_SET_GSI_ROUTING); 0 or -errno. */
int kvm_msi_route_set(struct kvm_vm *k, int gsi, const struct kvm_msi_msg *m);
/* Unbinds fd from gsi and drops the route; 0 or -errno. */
int kvm_irqfd_msi_remove(struct kvm_vm *k, int gsi, int fd);

/* "VMX (kvm_intel)", ...; for PVM also what it means for speed. */
const char *kvm_backend_name(enum kvm_backend b);

/* The backend serving /dev/kvm, from the loaded vendor module. */
enum kvm_backend kvm_detect_backend(void);

/* Opens KVM's binary statistics for fd (a VM or vCPU); 0 or -errno. */
int kvm_stats_open(struct kvm_stats *s, int fd);
/* Reads every counter; values[i] belongs to s->d[i].  0 or -errno. */
int kvm_stats_read(const struct kvm_stats *s, uint64_t *values);
/* One counter by name (e.g. the vCPU's "exits"); 0, -ENOENT or -errno. */
int kvm_stats_get(const struct kvm_stats *s, const char *name, uint64_t *value);
void kvm_stats_close(struct kvm_stats *s);

#endif
