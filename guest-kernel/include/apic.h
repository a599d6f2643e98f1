/* The in-kernel local APIC in x2APIC mode: timer, EOI, and sleep on top. */
#ifndef GK_APIC_H
#define GK_APIC_H

#include <stdint.h>

int apic_init(void);
void apic_eoi(void);
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

#endif
