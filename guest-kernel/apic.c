/*
 * x2APIC driver: registers are MSRs (no MMIO window to map).  The timer runs
 * one-shot; sleep_ns loads its count and halts until its interrupt has arrived.
 */
#include "apic.h"
#include "hypercall.h"
#include "kvm_para.h"
#include "lib.h"
#include "platform.h"
#include "trap.h"
#include "tsc.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_EXTD (1ull << 10)
#define X2APIC_ID 0x802
#define X2APIC_EOI 0x80b
#define X2APIC_SVR 0x80f
#define X2APIC_ICR 0x830
#define X2APIC_LVT_TIMER 0x832
#define X2APIC_TIMER_INIT 0x838
#define X2APIC_TIMER_CUR 0x839
#define X2APIC_TIMER_DIV 0x83e
#define LVT_MASKED (1u << 16)
#define ICR_NMI (4u << 8) /* delivery mode NMI, physical destination, edge */
#define MSR_KVM_PV_EOI_EN 0x4b564d04
#define PV_EOI_ENABLE 1ull

static uint64_t ticks_per_us;
static volatile uint64_t timer_irqs;
static volatile int timer_fired;
static volatile int timer_counting; /* a one-shot was loaded and has not fired */
static uint64_t timer_due_tsc;      /* while counting: about when it fires (TSC) */
static bool lvt_oneshot;            /* LVT timer set one-shot and unmasked: no write needed */

/*
 * PV EOI: KVM sets bit 0 of this word when it injects an interrupt that
 * nothing else waits behind; the guest then acknowledges by clearing the
 * bit, a memory write, and KVM completes the EOI at its next look, instead
 * of an x2APIC EOI write that exits.  4-byte aligned, in RAM mapped 1:1.
 */
static volatile uint32_t pv_eoi_word __attribute__((aligned(4)));
static struct apic_eoi_stats eoi;

void apic_pv_eoi_init(bool want)
{
	eoi.offered = kvm_para_has(KVM_FEATURE_PV_EOI);
	if (!want || !eoi.offered)
		return;
	pv_eoi_word = 0;
	plat_wrmsr(MSR_KVM_PV_EOI_EN, (uint64_t)(uintptr_t)&pv_eoi_word | PV_EOI_ENABLE);
	eoi.on = true;
}

void apic_eoi(void)
{
	/* Locked test-and-clear: KVM may set the bit for a nested interrupt meanwhile. */
	if (eoi.on && (__atomic_fetch_and(&pv_eoi_word, ~1u, __ATOMIC_SEQ_CST) & 1)) {
		eoi.by_memory++;
		return;
	}
	eoi.by_msr++;
	plat_wrmsr(X2APIC_EOI, 0);
}

struct apic_eoi_stats apic_eoi_stats(void)
{
	return eoi;
}

static bool on_timer(struct trap_frame *f, void *ctx)
{
	(void)f, (void)ctx;
	timer_irqs++;
	timer_fired = 1;
	timer_counting = 0;
	apic_eoi();
	return true;
}

static bool on_spurious(struct trap_frame *f, void *ctx)
{
	(void)f, (void)ctx;
	return true; /* no EOI for a spurious vector */
}

static uint64_t read_timer(void)
{
	return plat_rdmsr(X2APIC_TIMER_CUR);
}

/*
 * Timer ticks per microsecond over 10 ms of hv's clock (the count runs down),
 * on first use: a guest that never sleeps does not pay for it at boot.
 */
uint64_t apic_ticks_per_us(void)
{
	if (!ticks_per_us) {
		plat_wrmsr(X2APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
		lvt_oneshot = false;
		plat_wrmsr(X2APIC_TIMER_INIT, 0xffffffffu);
		ticks_per_us = clock_rate_per_us(read_timer, 10000000, true);
		plat_wrmsr(X2APIC_TIMER_INIT, 0);
	}
	return ticks_per_us;
}

int apic_init(void)
{
	uint64_t base = plat_rdmsr(MSR_APIC_BASE);

	plat_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
	plat_wrmsr(X2APIC_SVR, 0x100 | VEC_SPURIOUS);
	plat_wrmsr(X2APIC_TIMER_DIV, 0xb); /* divide by 1 */
	trap_set_handler(VEC_TIMER, on_timer, NULL);
	trap_set_handler(VEC_SPURIOUS, on_spurious, NULL);
	return 0;
}

void apic_self_nmi(void)
{
	/* The "self" shorthand allows only fixed delivery: name our own ID instead. */
	plat_wrmsr(X2APIC_ICR, plat_rdmsr(X2APIC_ID) << 32 | ICR_NMI);
}

uint64_t apic_timer_irqs(void)
{
	return timer_irqs;
}

/*
 * Each register write exits: the LVT is written only when its mode changed,
 * so a load is one write (with interrupts off, as every caller has them).
 */
static void load_ticks(uint64_t ticks)
{
	/* First: the rates calibrate on first use, which masks the LVT for a while. */
	uint64_t due = rdtsc() + ticks * tsc_ticks_per_us() / apic_ticks_per_us();

	if (!lvt_oneshot) {
		plat_wrmsr(X2APIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
		lvt_oneshot = true;
	}
	timer_counting = 1;
	timer_due_tsc = due;
	plat_wrmsr(X2APIC_TIMER_INIT, ticks);
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	uint64_t per_us = apic_ticks_per_us();
	uint64_t ticks = ns / 1000 * per_us + (ns % 1000) * per_us / 1000;

	return ticks ? ticks : 1; /* a count of 0 would stop the timer */
}

static void sleep_ticks(uint64_t ticks)
{
	plat_irq_disable(); /* so the interrupt cannot come before timer_fired is cleared */
	timer_fired = 0;
	load_ticks(ticks);
	while (!timer_fired)
		trap_wait(&timer_fired); /* returns with interrupts enabled */
}

void sleep_ns(uint64_t ns)
{
	uint64_t ticks = ns_to_ticks(ns);

	/* The count register is 32 bits: long sleeps are several one-shots. */
	for (; ticks > 0xffffffffu; ticks -= 0xffffffffu)
		sleep_ticks(0xffffffffu);
	sleep_ticks(ticks);
}

void apic_timer_within_ns(uint64_t ns)
{
	uint64_t by = rdtsc() + ns / 1000 * tsc_ticks_per_us();

	if (!timer_counting || timer_due_tsc > by)
		apic_timer_start_ns(ns);
}

void apic_timer_start_ns(uint64_t ns)
{
	uint64_t ticks = ns_to_ticks(ns);

	load_ticks(ticks > 0xffffffffu ? 0xffffffffu : ticks);
}
