/*
 * The Intel MultiProcessor Specification 1.4 table that tells a guest
 * without ACPI (Linux with X86_MPPARSE) its CPUs and interrupt wiring: a
 * floating pointer, then the configuration table with one processor entry
 * per CPU, one ISA bus, one IOAPIC, an interrupt-source entry for each of
 * its 24 pins (ISA IRQ i on pin i: Linux's IRQ number equals the GSI, so a
 * module can request any of them) and LINT0 ExtINT / LINT1 NMI.  Built for
 * N CPUs; hv runs one today.  Pure: unit-tested byte by byte.
 */
#ifndef HV_X86_MPTABLE_H
#define HV_X86_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_GPA 0x9fc00u /* the last KiB below 640 KiB, where Linux looks */
#define MPTABLE_MAX_BYTES 1024u
#define MPTABLE_IOAPIC_PINS 24
#define MPTABLE_IOAPIC_ADDR 0xfec00000u
#define MPTABLE_LAPIC_ADDR 0xfee00000u

/* Bytes the whole table takes for ncpus CPUs. */
size_t mptable_size(unsigned ncpus);

/*
 * Writes the table for ncpus CPUs (APIC ids 0..ncpus-1; the IOAPIC's id is
 * ncpus) into buf, which the guest sees at gpa.  Returns the bytes written,
 * or -EINVAL (no CPU) / -ENOSPC (len too small).
 */
int mptable_write(uint8_t *buf, size_t len, uint32_t gpa, unsigned ncpus);

#endif
