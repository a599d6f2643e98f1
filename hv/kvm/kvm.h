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
#include "x86/cpuid.h"

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
	struct cpuid_host host;        /* what the CPUID builder was told of the host */
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

/*
 * Snapshots (kvm_state.c): the pieces of the VM's and vCPU's state KVM
 * holds, each read and written by its own ioctl.  The order is the
 * caller's: KVM's rules are about order (snap/snapshot.c says which).
 */
enum kvm_state_id {
	KVM_STATE_CPUID = 1,   /* KVM_GET/SET_CPUID2 */
	KVM_STATE_TSC_KHZ,     /* KVM_GET/SET_TSC_KHZ: a u32 */
	KVM_STATE_MSRS,        /* every MSR of KVM_GET_MSR_INDEX_LIST KVM_GET_MSRS reads */
	KVM_STATE_MP_STATE,
	KVM_STATE_REGS,
	KVM_STATE_SREGS,
	KVM_STATE_XSAVE,       /* at the size KVM_CAP_XSAVE2 reports (KVM_GET_XSAVE2) */
	KVM_STATE_XCRS,
	KVM_STATE_DEBUGREGS,
	KVM_STATE_LAPIC,
	KVM_STATE_VCPU_EVENTS,
	KVM_STATE_PIT,         /* KVM_GET/SET_PIT2 */
	KVM_STATE_CLOCK,       /* KVM_GET/SET_CLOCK; set with no flags: the clock resumes */
	KVM_STATE_PIC_MASTER,  /* KVM_GET/SET_IRQCHIP */
	KVM_STATE_PIC_SLAVE,
	KVM_STATE_IOAPIC,
	KVM_STATE_COUNT,
};

/* Reads piece id into a new buffer (*out, *len bytes; the caller frees it).  0 or -errno. */
int kvm_state_get(const struct kvm_vm *k, unsigned id, void **out, size_t *len);
/*
 * Writes piece id from buf: its length and the counts inside it are
 * checked first (-EINVAL).  MSRs KVM does not all take: -EPROTO.  0 or -errno.
 */
int kvm_state_set(const struct kvm_vm *k, unsigned id, const void *buf, size_t len);
/* "local APIC", ... for messages. */
const char *kvm_state_name(unsigned id);

#endif
