/*
 * KVM PVM guest ABI constants (PVM ABI version 1), from the PVM specification
 * (Documentation/virt/kvm/x86/pvm-spec.rst, arch/x86/include/uapi/asm/pvm_para.h
 * in the PVM Linux tree).  Usable from C and assembly.
 */
#ifndef GK_PVM_H
#define GK_PVM_H

#define PVM_SYNTHETIC_CPUID_BYTES 0x0f, 0x01, 0x3c, 0x25, 0x50, 0x56, 0x4d, 0xff, 0x0f, 0xa2
#define KVM_CPUID_SIGNATURE 0x40000000
#define PVM_CPUID_SIGNATURE 0x40000200
#define PVM_CPUID_FEATURES 0x40000201
#define PVM_ABI_VERSION 1

#define MSR_PVM_VCPU_STRUCT 0x4b564d20
#define MSR_PVM_EVENT_ENTRY 0x4b564d21
#define MSR_PVM_RETU_RIP 0x4b564d22
#define MSR_PVM_FEATURES_ENABLED 0x4b564d23
#define PVM_EVENT_ENTRY_SUPERVISOR_OFFSET 512

/* SYSCALL in supervisor mode; number in rax, args in rbx, r10, rdx, rsi. */
#define PVM_HC_LOAD_PGTBL 0x17088200
#define PVM_HC_IRQ_WIN 0x17088201
#define PVM_HC_IRQ_HLT 0x17088202
#define PVM_HC_TLB_FLUSH 0x17088203
#define PVM_HC_TLB_FLUSH_CURRENT 0x17088204
#define PVM_HC_TLB_INVLPG 0x17088205
#define PVM_HC_RDMSR 0x17088207
#define PVM_HC_WRMSR 0x17088208
#define PVM_LOAD_PGTBL_FLAGS_TLB 1

#define PVM_EVENT_FLAGS_IF_BIT 9
#define PVM_EVENT_FLAGS_IP_BIT 32

/* struct pvm_vcpu_struct (PVCS): offsets of the fields hv's guest uses. */
#define PVCS_event_flags 0x00
#define PVCS_cr2 0x08
#define PVCS_event_errcode 0x44
#define PVCS_event_vector 0x46
#define PVCS_eflags 0x50
#define PVCS_rip 0x58
#define PVCS_rcx 0x60
#define PVCS_r11 0x68

#endif
