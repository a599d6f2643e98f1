/*
 * The vCPU's registers as gdb sees them: one table gives the layout of the
 * 'g'/'G' packets, the numbers of 'p'/'P', and the target description hv
 * serves (qXfer:features:read:target.xml), so the three cannot disagree:
 * amd64's core and SSE registers, fs_base/gs_base, and the control
 * registers (read-only) in a feature of hv's own.
 */
#ifndef HV_GDB_REGS_H
#define HV_GDB_REGS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

/* What KVM says of the vCPU (KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_FPU). */
struct gdb_cpu {
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
};

#define GDB_NREGS 65
#define GDB_REGS_BYTES 600 /* the 'g' packet's bytes */
#define GDB_REG_RIP 16

/* Offset and size of register n in the 'g' layout; 0, or -EINVAL for no such register. */
int gdb_reg_span(unsigned n, unsigned *off, unsigned *size);

/* The 'g' packet's bytes from the vCPU's state. */
void gdb_regs_pack(const struct gdb_cpu *c, uint8_t out[GDB_REGS_BYTES]);

/*
 * The 'G' packet's bytes into the vCPU's state: general registers, rip,
 * eflags, x87 and SSE, fs_base, gs_base.  Selectors and control registers
 * are shown, not written (a selector alone would not load its segment).
 */
void gdb_regs_unpack(struct gdb_cpu *c, const uint8_t in[GDB_REGS_BYTES]);

/* The target description, built in xml; its length, or -ENOSPC. */
#define GDB_XML_MAX 8192
int gdb_target_xml(char *xml, size_t cap);

#endif
