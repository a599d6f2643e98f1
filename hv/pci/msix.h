/*
 * The MSI-X table of one PV device's PCI function (PROTOCOL.md, "PCI
 * functions"): the guest's entries (address, data, vector control), the
 * pending bits, the capability's Enable and Function Mask, and for each
 * entry a KVM MSI route bound to an eventfd (KVM_IRQFD).  Signalling an
 * entry from the I/O thread is one eventfd write that KVM turns into the
 * message the guest wrote, or, while the entry cannot send, its pending bit.
 */
#ifndef HV_MSIX_H
#define HV_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_abi.h"
#include "kvm/kvm.h"

#define MSIX_ENTRY_BYTES 16
#define MSIX_CTRL_MASKED 1u /* vector control: the entry's mask bit */

/* An entry's state word (atomic): why it cannot send, and whether it owes a message. */
#define MSIX_S_MASKED 1u  /* its own mask bit */
#define MSIX_S_OFF 2u     /* MSI-X disabled, or the function masked */
#define MSIX_S_PENDING 4u /* signalled while it could not send */

struct msix {
	unsigned n;                              /* entries: 1..HV_PCI_MSIX_MAX */
	struct kvm_vm *kvm;                      /* NULL until wired (and in tests) */
	/* the vCPU thread's: the table as the guest wrote it, and what KVM routes */
	uint32_t tab[HV_PCI_MSIX_MAX][4];        /* address lo, hi, data, vector control */
	struct kvm_msi_msg routed[HV_PCI_MSIX_MAX];
	int gsi[HV_PCI_MSIX_MAX];                /* the entry's KVM route, or -1 */
	bool enabled, fmask;                     /* message control */
	uint64_t route_errors;                   /* KVM refused a route update */
	/* shared with the I/O thread */
	int fd[HV_PCI_MSIX_MAX];                 /* the entry's irqfd eventfd */
	uint32_t state[HV_PCI_MSIX_MAX];         /* MSIX_S_*, atomic */
	uint64_t sent, pended;                   /* messages sent, signals held pending (atomic) */
};

/* n entries, each masked, MSI-X disabled; eventfds open.  0 or -errno. */
int msix_init(struct msix *m, unsigned n);
/* Gives every entry its KVM route and irqfd; 0 or -errno. */
int msix_wire(struct msix *m, struct kvm_vm *kvm);
void msix_destroy(struct msix *m);

/*
 * Any thread (the I/O thread's completions): sends entry's message, or sets
 * its pending bit while the entry is masked, the function masked or MSI-X
 * off.  0, or -EINVAL for an entry the table does not have.
 */
int msix_signal(struct msix *m, unsigned entry);

/* vCPU thread: message control changed (Enable, Function Mask). */
void msix_control(struct msix *m, bool enable, bool fmask);

/*
 * vCPU thread: one access at offset off of BAR 0 (the table at 0, the PBA at
 * HV_PCI_PBA_OFF).  Aligned dword and qword accesses of the table and PBA
 * are served; any other access reads 0 and writes nothing.
 */
void msix_bar_io(struct msix *m, uint64_t off, bool is_write, uint64_t *val, unsigned size);

/* The entry's pending bit. */
bool msix_pending(const struct msix *m, unsigned entry);

#endif
