/* Event dispatch, waiting for an event, and the fatal-exception report. */
#include "hypercall.h"
#include "lib.h"
#include "trap.h"

static struct {
	trap_fn fn;
	void *ctx;
} handlers[NVEC];
static uint64_t counts[NVEC];

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection",
};

const char *trap_name(unsigned v)
{
	if (v < 32)
		return names[v] ? names[v] : "reserved";
	return "interrupt";
}

void trap_set_handler(unsigned vector, trap_fn fn, void *ctx)
{
	if (vector < NVEC) {
		handlers[vector].fn = fn;
		handlers[vector].ctx = ctx;
	}
}

unsigned trap_alloc_vector(trap_fn fn, void *ctx)
{
	unsigned v;

	for (v = VEC_DEV_FIRST; v <= VEC_DEV_LAST; v++)
		if (!handlers[v].fn) {
			trap_set_handler(v, fn, ctx);
			return v;
		}
	return 0;
}

uint64_t trap_count(unsigned vector)
{
	return vector < NVEC ? counts[vector] : 0;
}

void trap_wait(const volatile int *flag)
{
	plat_irq_disable();
	if (!*flag)
		plat_halt(); /* returns with interrupts enabled, after the handler ran */
	plat_irq_enable();
}

void trap_fatal(const struct trap_frame *f)
{
	printf("\nFATAL: %s (vector %lu) error code 0x%lx\n", trap_name((unsigned)f->vector),
	       f->vector, f->error_code);
	printf("  RIP=%016lx CS=%04lx RFLAGS=%016lx\n", f->rip, f->cs, f->rflags);
	printf("  RSP=%016lx SS=%04lx CR2=%016lx\n", f->rsp, f->ss, f->cr2);
	printf("  RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printf("  RSI=%016lx RDI=%016lx RBP=%016lx\n", f->rsi, f->rdi, f->rbp);
	printf("  R8 =%016lx R9 =%016lx R10=%016lx R11=%016lx\n", f->r8, f->r9, f->r10, f->r11);
	printf("  R12=%016lx R13=%016lx R14=%016lx R15=%016lx\n", f->r12, f->r13, f->r14, f->r15);
	hv_exit(128 + (int)(f->vector & 0x7f));
}

void trap_dispatch(struct trap_frame *f)
{
	unsigned v = (unsigned)(f->vector & (NVEC - 1));

	counts[v]++;
	if (handlers[v].fn && handlers[v].fn(f, handlers[v].ctx))
		return;
	if (v < 32)
		trap_fatal(f);
	/* An interrupt nobody asked for: note it, keep going. */
	printf("trap: unexpected interrupt vector %u\n", v);
}
