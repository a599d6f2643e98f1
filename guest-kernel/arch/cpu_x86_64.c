/*
 * platform.h for x86-64 long mode at CPL 0: the kernel's own GDT, a TSS whose
 * IST stacks catch #DF, NMI and #MC, an IDT onto vectors_x86_64.S's 256 stubs,
 * and the plain instructions for the interrupt flag, CR3 and the TLB.
 */
#include "gdt.h"
#include "lib.h"
#include "platform.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "the hardware TSS is 104 bytes");

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; /* P, DPL, gate type */
	uint16_t off1;
	uint32_t off2;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "a long-mode gate is 16 bytes");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define IDT_INTR_GATE 0x8e /* present, DPL 0, 64-bit interrupt gate (clears IF) */
#define TSS_AVAILABLE 0x89 /* present, DPL 0, available 64-bit TSS */
#define STUB_SIZE 16       /* arch/vectors_x86_64.S */
#define IST_STACK 8192
#define RFLAGS_IF (1ull << 9)

/* Which events get an IST stack: they may arrive on a broken or any stack. */
enum { IST_DF = 1, IST_NMI = 2, IST_MC = 3, NR_IST = 3 };
static const uint8_t ist_of[32] = { [2] = IST_NMI, [8] = IST_DF, [18] = IST_MC };

/*
 * Code and data are flat; accessed bits set so the CPU never writes the
 * table.  The TSS slots are filled in plat_init (the base is split across
 * fields, which a static initializer cannot do with a link-time address).
 * start.S loads gdt_desc before anything else runs.
 */
uint64_t gdt[GDT_ENTRIES] = {
	[GDT_KCODE / 8] = 0x00af9b000000ffffull, /* L=1, P, DPL 0, execute/read */
	[GDT_KDATA / 8] = 0x00cf93000000ffffull, /* P, DPL 0, read/write */
};
extern const struct desc_ptr gdt_desc;
const struct desc_ptr gdt_desc = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };

static struct idt_gate idt[256];
static struct tss tss;
static uint8_t ist_stacks[NR_IST][IST_STACK] __attribute__((aligned(16)));
extern const char isr_stubs[];

static void set_tss_desc(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;

	gdt[GDT_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			   (uint64_t)TSS_AVAILABLE << 40 | ((limit >> 16) & 0xf) << 48 |
			   ((base >> 24) & 0xff) << 56;
	gdt[GDT_TSS / 8 + 1] = base >> 32;
}

bool plat_init(void)
{
	struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	unsigned v, i;

	for (i = 0; i < NR_IST; i++)
		tss.ist[i] = (uint64_t)(uintptr_t)(ist_stacks[i] + IST_STACK);
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: CPL 0 needs none */
	set_tss_desc();
	asm volatile("ltr %w0" : : "r"(GDT_TSS) : "memory");

	for (v = 0; v < 256; v++) {
		uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + STUB_SIZE * v);
		idt[v] = (struct idt_gate){
			.off0 = (uint16_t)a, .sel = GDT_KCODE, .ist = v < 32 ? ist_of[v] : 0,
			.type = IDT_INTR_GATE, .off1 = (uint16_t)(a >> 16),
			.off2 = (uint32_t)(a >> 32),
		};
	}
	asm volatile("lidt %0" : : "m"(idtr) : "memory");
	return true;
}

const char *plat_name(void)
{
	return "x86-64";
}

bool plat_on_event_stack(unsigned vector, const void *p)
{
	unsigned ist = vector < 32 ? ist_of[vector] : 0;
	const uint8_t *b = (const uint8_t *)p;

	return ist && b >= ist_stacks[ist - 1] && b < ist_stacks[ist - 1] + IST_STACK;
}

void plat_irq_enable(void)
{
	asm volatile("sti" ::: "memory");
}

void plat_irq_disable(void)
{
	asm volatile("cli" ::: "memory");
}

bool plat_irq_enabled(void)
{
	uint64_t fl;

	asm volatile("pushfq; popq %0" : "=r"(fl) : : "memory");
	return fl & RFLAGS_IF;
}

void plat_load_pgtbl(uint64_t cr3)
{
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

void plat_tlb_invalidate(void)
{
	uint64_t cr3;

	asm volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

void plat_tlb_invalidate_page(uint64_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

uint64_t plat_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

void plat_wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

void plat_invalid_insn(void)
{
	asm volatile("ud2" ::: "memory");
}
