/*
 * hv guest/host ABI: hypercall convention and numbers, error codes, guest
 * physical memory layout and the boot-info block.  Shared verbatim by the VMM
 * (hv/) and the guest (guest-kernel/, pv-drivers/); PROTOCOL.md is the prose.
 */
#ifndef HV_ABI_H
#define HV_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/*
 * 2: device descriptors carry a type-specific config block (NICs), queue
 * setups name a queue and features, detach names a queue.
 * 3: struct hv_exit_count carries KVM's exit counts by kind.
 * 4: PV devices are PCI functions with MSI-X (section "PCI functions"
 *    below); queue setups name an MSI-X entry instead of a raw vector; the
 *    PV disk has HV_BLK_OP_WRITE_FUA; the PV NIC raises a link-change event.
 */
#define HV_ABI_VERSION 4

/*
 * Hypercall convention (PROTOCOL.md, "Hypercalls").
 *
 * The guest executes one 32-bit port write, `outl %eax, %dx`, with
 *   dx  = HV_HC_PORT
 *   rax = hypercall number (the value written)
 *   rdi, rsi, r8, r9, r10 = arguments 0..4 (rdx carries the port, so it is
 *                           not an argument register)
 * and on return
 *   rax = result: >= 0 on success, a negative HV_E* code on failure.
 * Every other register is preserved.  One hypercall is exactly one exit to hv.
 */
#define HV_HC_PORT 0x0500

#define HV_HC_VERSION 0       /* () -> HV_ABI_VERSION */
#define HV_HC_CONSOLE_WRITE 1 /* (gpa buf, u64 len) -> bytes written */
#define HV_HC_EXIT 2          /* (u64 status) -> does not return */
#define HV_HC_TIME_NS 3       /* () -> host CLOCK_MONOTONIC in ns */
#define HV_HC_DEV_INFO 4      /* (u64 index, gpa struct hv_dev_desc *) -> 0 */
#define HV_HC_QUEUE_ATTACH 5  /* (u64 dev index, gpa struct hv_queue_setup *)
                                 -> notify port (hv_ring.h) */
#define HV_HC_EXIT_COUNT 6    /* (gpa struct hv_exit_count *) -> 0 */
#define HV_HC_QUEUE_DETACH 7  /* (u64 dev index, u64 queue) -> 0: hv lets go of its rings */
#define HV_HC_MAX 8           /* first unassigned number */

/* Error codes returned in rax (negated); the values are Linux errno numbers. */
#define HV_EOK 0
#define HV_ENOENT 2   /* no such device index */
#define HV_EIO 5
#define HV_EAGAIN 11  /* try again: a queue is full */
#define HV_ENOMEM 12
#define HV_E2BIG 7    /* a length over the call's bound */
#define HV_EFAULT 14  /* a guest range outside RAM or wrapping around */
#define HV_EBUSY 16
#define HV_EINVAL 22  /* a malformed argument */
#define HV_ENOSPC 28
#define HV_EROFS 30
#define HV_ENOSYS 38  /* unknown hypercall number */

/* Bound on one HV_HC_CONSOLE_WRITE; longer writes are refused with -HV_E2BIG. */
#define HV_CONSOLE_WRITE_MAX 65536

/*
 * Guest physical layout.  RAM is one block [0, mem_size).  The first
 * HV_BOOT_AREA_END bytes belong to hv's boot structures; kernel segments must
 * lie above it.  Device windows (MMIO) lie at or above HV_MMIO_BASE, which is
 * above the largest RAM hv accepts.
 */
#define HV_BOOT_INFO_GPA 0x1000  /* struct hv_boot_info, one page */
#define HV_CMDLINE_GPA 0x2000    /* NUL-terminated command line, one page */
#define HV_CMDLINE_MAX 4096      /* including the NUL */
#define HV_BOOT_GDT_GPA 0x3000   /* hv's boot GDT (selectors below) and a TSS */
#define HV_BOOT_PT_GPA 0x10000   /* hv's initial page tables */
#define HV_BOOT_STACK_TOP 0x80000 /* initial rsp, grows down */
#define HV_BOOT_AREA_END 0x100000 /* first byte a kernel segment may use */

/*
 * Segments at entry, described by hv's boot GDT: a kernel that loads its own
 * GDT early may keep these selector values.  The IDT is empty (limit 0): an
 * exception before the kernel installs its own is a triple fault, which hv
 * reports with the registers.
 */
#define HV_BOOT_SEL_CODE 0x08 /* 64-bit code, DPL 0 */
#define HV_BOOT_SEL_DATA 0x10 /* DS, ES, SS; FS and GS are null */
#define HV_BOOT_SEL_TSS 0x18  /* a busy 64-bit TSS, 104 bytes, no I/O bitmap */

#define HV_MEM_MIN (4ull << 20)
#define HV_MEM_MAX (64ull << 30)
#define HV_MEM_ALIGN (2ull << 20)
#define HV_MMIO_BASE HV_MEM_MAX /* 64 GiB: within every MAXPHYADDR >= 36 */

/* Boot-info block at HV_BOOT_INFO_GPA; rdi holds its address at entry. */
#define HV_BOOT_MAGIC 0x49427668 /* "hvBI" little-endian */
#define HV_BOOT_MAX_MEM 8
#define HV_BOOT_MAX_DEV 32 /* the UART, 8+8 disks, 4+4 NICs, and room to grow */
/* Instances of one device kind (pvblk0..7, trapblk0..7): hv, its CLI and the guest agree. */
#define HV_MAX_DEVS_PER_KIND 8
#define HV_MAX_NICS_PER_KIND 4 /* pvnet0..3, trapnet0..3 */

#ifndef __ASSEMBLER__
enum hv_mem_type {
	HV_MEM_USABLE = 1,   /* free RAM */
	HV_MEM_RESERVED = 2, /* hv's boot structures: the guest may reuse it once
	                        it has copied what it needs from the boot info */
	HV_MEM_KERNEL = 3,   /* the loaded kernel image, bss included */
};

struct hv_mem_region {
	uint64_t base;
	uint64_t len;
	uint32_t type; /* enum hv_mem_type */
	uint32_t pad;
};

enum hv_dev_type {
	HV_DEV_UART = 1,    /* 16550 on port I/O: base = port */
	HV_DEV_TRAPBLK = 2, /* trap-and-emulate block controller: base = MMIO gpa */
	HV_DEV_PVBLK = 3,   /* paravirtual block device (rings, hv_blk.h) */
	HV_DEV_PVNET = 4,   /* paravirtual NIC (RX and TX rings, hv_net.h) */
	HV_DEV_TRAPNET = 5, /* trap-and-emulate NIC: base = MMIO gpa (hv_trapnet.h) */
};

#define HV_DEV_F_RO (1u << 0)      /* block devices: refuses writes */
#define HV_DEV_F_LINK_UP (1u << 1) /* NICs: the backend is there (HV_HC_DEV_INFO rereads it) */

struct hv_dev_desc {
	uint16_t type;     /* enum hv_dev_type */
	uint16_t index;    /* instance number within its type: pvblk<index> */
	uint32_t flags;    /* HV_DEV_F_* */
	uint64_t base;     /* port number or MMIO gpa, per type; PV devices:
	                      gpa of BAR 0 (MSI-X table at 0, PBA at HV_PCI_PBA_OFF) */
	uint64_t len;      /* size of the register window (BAR 0) in bytes */
	uint64_t capacity; /* block devices: size in 512-byte sectors */
	uint32_t irq;      /* trap devices: interrupt vector they raise, 0 if none;
	                      PV devices: MSI-X table entries of their PCI function */
	uint32_t sector_size; /* block devices: bytes per sector (512) */
	union {            /* per type; zero where unused */
		struct {
			uint8_t mac[6];    /* Ethernet address */
			uint16_t mtu;      /* payload bytes; frames up to mtu + 14 */
			uint64_t features; /* HV_NET_F_* the device offers */
		} net;
		uint8_t raw[16];
	} cfg;
};

/*
 * Exit counters for benchmarks (HV_HC_EXIT_COUNT).  Both include the exit
 * of the hypercall that reads them.
 */
struct hv_exit_count {
	uint64_t kvm_exits; /* all vCPU exits KVM counted, also those it handled
	                       itself (ioeventfd, interrupts); ~0 if unknown */
	uint64_t hv_exits;  /* exits that reached hv's vCPU loop */
	uint64_t cpu_ns;    /* hv's CPU time so far, user + system, all threads
	                       (the vCPU thread's includes the guest's own time) */
	uint64_t kvm_irqs;  /* interrupts KVM injected (irq_injections); ~0 if unknown */
	uint64_t kind[8];   /* KVM's exits by kind, HV_EXIT_KIND_*; ~0 if unknown */
};

/*
 * struct hv_exit_count's kind[]: KVM's per-vCPU statistics of the same names
 * (Documentation/virt/kvm/api.rst, KVM_GET_STATS_FD), so that a guest of hv
 * and a guest of another VMM (read from KVM's debugfs) are counted alike.
 */
#define HV_EXIT_KIND_IO 0         /* io_exits: port I/O, in the kernel (ioeventfd) or not */
#define HV_EXIT_KIND_MMIO 1       /* mmio_exits: MMIO that went out to the VMM */
#define HV_EXIT_KIND_HALT 2       /* halt_exits: HLT */
#define HV_EXIT_KIND_IRQ 3        /* irq_exits: a host interrupt arrived in guest mode */
#define HV_EXIT_KIND_IRQ_WINDOW 4 /* irq_window_exits: waiting to inject an interrupt */
#define HV_EXIT_KIND_EMUL 5       /* insn_emulation: instructions KVM emulated */
#define HV_EXIT_KIND_HYPERCALL 6  /* hypercalls: vmcall/vmmcall KVM handled */
#define HV_EXIT_KIND_SIGNAL 7     /* signal_exits: KVM_RUN interrupted by a signal */
#define HV_EXIT_KINDS 8

_Static_assert(sizeof(struct hv_exit_count) == 96, "PROTOCOL.md: HV_HC_EXIT_COUNT writes 96 bytes");

struct hv_boot_info {
	uint32_t magic;       /* HV_BOOT_MAGIC */
	uint16_t version;     /* HV_ABI_VERSION */
	uint16_t size;        /* sizeof(struct hv_boot_info) */
	uint64_t mem_size;    /* bytes of RAM from gpa 0 */
	uint64_t cmdline_gpa; /* HV_CMDLINE_GPA */
	uint32_t cmdline_len; /* bytes before the NUL */
	uint32_t nr_mem;      /* valid entries in mem[] */
	uint32_t nr_dev;      /* valid entries in dev[] */
	uint32_t tsc_khz;     /* TSC frequency if hv knows it, else 0 */
	struct hv_mem_region mem[HV_BOOT_MAX_MEM];
	struct hv_dev_desc dev[HV_BOOT_MAX_DEV];
};

_Static_assert(sizeof(struct hv_boot_info) <= 4096, "boot info must fit one page");
_Static_assert(sizeof(struct hv_dev_desc) == 56, "hv_dev_desc layout is ABI");
_Static_assert(sizeof(struct hv_mem_region) == 24, "hv_mem_region layout is ABI");

#endif /* !__ASSEMBLER__ */

/*
 * PCI functions (PROTOCOL.md, "PCI functions").  Each PV device is also a
 * function on PCI bus 0, reached through configuration mechanism #1 (ports
 * 0xCF8/0xCFC), behind a host bridge of class 0x0600 at 00:00.0, so that an
 * OS finds it, binds a driver by vendor and device ID and gets MSI-X vectors
 * without firmware tables.  Rings, doorbells and hypercalls are unchanged:
 * the function only carries identity and interrupts.
 *
 *   vendor HV_PCI_VENDOR, device HV_PCI_DEV_*, class per device type;
 *   subsystem vendor HV_PCI_VENDOR, subsystem ID = the device's position in
 *   the HV_HC_DEV_INFO table (the index hypercalls take);
 *   BAR 0: 32-bit memory, HV_PCI_BAR_SIZE bytes, placed by hv below 4 GiB:
 *   the MSI-X table (16 bytes per entry) at offset 0, the pending-bit
 *   array at HV_PCI_PBA_OFF; no INTx (interrupt pin 0).
 *
 * hv_queue_setup.msix names the entry whose message a queue's completions
 * send.  Entries start masked, as the PCI spec says; a masked entry's
 * messages set its pending bit and are sent when it is unmasked.
 */
#define HV_PCI_CONF_ADDR 0xcf8
#define HV_PCI_CONF_DATA 0xcfc
#define HV_PCI_VENDOR 0x4876     /* "Hv"; not PCI-SIG assigned: binding also
                                    needs hv's CPUID signature */
#define HV_PCI_DEV_HOST 0x0000   /* the host bridge, 00:00.0 */
#define HV_PCI_DEV_PVBLK 0x0001
#define HV_PCI_DEV_PVNET 0x0002
#define HV_PCI_BAR_SIZE 0x1000
#define HV_PCI_PBA_OFF 0x800
#define HV_PCI_MMIO_BASE 0xe0000000ull /* BARs from here, below the IOAPIC */
#define HV_PCI_MSIX_MAX 64        /* entries per function */

/* The 16550 UART every guest gets. */
#define HV_UART_PORT 0x3f8
#define HV_UART_LEN 8

#endif /* HV_ABI_H */
