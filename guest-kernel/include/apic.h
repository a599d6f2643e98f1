/* The in-kernel local APIC in x2APIC mode: timer, EOI, and sleep on top. */
#ifndef GK_APIC_H
#define GK_APIC_H

#include <stdbool.h>
#include <stdint.h>

int apic_init(void);
/*
 * Acknowledges the interrupt being handled: by PV EOI (a memory write)
 * when KVM said that is enough for this one, else by the x2APIC EOI write.
 */
void apic_eoi(void);
/*
 * Uses KVM's PV EOI (KVM_FEATURE_PV_EOI, MSR_KVM_PV_EOI_EN) if offered and
 * want (the kernel parameter pveoi=off says not): an interrupt nothing else
 * waits behind is then acknowledged without an exit.
 */
void apic_pv_eoi_init(bool want);
struct apic_eoi_stats {
	bool offered, on;
	uint64_t by_memory, by_msr; /* EOIs done by PV EOI / by the x2APIC write (an exit) */
};
struct apic_eoi_stats apic_eoi_stats(void);
/* Sends an NMI to this CPU through the interrupt command register. */
void apic_self_nmi(void);
/* Timer ticks per microsecond, as calibrated against hv's clock. */
uint64_t apic_ticks_per_us(void);
/* Sleeps at least ns, halting until the timer interrupt. */
void sleep_ns(uint64_t ns);
/*
 * Starts the one-shot timer without waiting: its interrupt comes after
 * about ns (at most one 32-bit count: a longer wait ends early, so callers
 * check the time again), to end a halt that waits for other interrupts too.
 */
void apic_timer_start_ns(uint64_t ns);
uint64_t apic_timer_irqs(void);
/*
 * Makes sure a timer interrupt comes within about ns, loading the one-shot
 * only when none is counting or the one counting comes later (a bound for a
 * halt that waits for a device's interrupt: a wait that asks again before
 * the last one's timer fired costs no register write, so no exit).
 */
void apic_timer_within_ns(uint64_t ns);

#endif
