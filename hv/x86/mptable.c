/* MP table writer (MP specification 1.4, chapter 4); layout in mptable.h. */
#include "x86/mptable.h"

#include <errno.h>
#include <string.h>

enum {
	FP_LEN = 16, HDR_LEN = 44, CPU_LEN = 20, ENT_LEN = 8,
	MP_CPU = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4,
	INT_INT = 0, INT_NMI = 1, INT_EXTINT = 3,
	SPEC_REV = 4,        /* 1.4 */
	LAPIC_VERSION = 0x14, IOAPIC_VERSION = 0x11,
	CPU_EN = 1, CPU_BP = 2, IOAPIC_EN = 1,
	BUS_ISA = 0,
	ALL_LAPICS = 0xff,
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* The byte that makes the sum of p[0..n) zero. */
static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

size_t mptable_size(unsigned ncpus)
{
	return FP_LEN + HDR_LEN + (size_t)ncpus * CPU_LEN +
	       ENT_LEN * (2 + MPTABLE_IOAPIC_PINS + 2); /* bus, IOAPIC, pins, LINT0/1 */
}

/* An 8-byte interrupt entry: type, irq type, flags 0 (conforms to the bus), source, dest. */
static uint8_t *put_irq(uint8_t *p, uint8_t type, uint8_t irqtype, uint8_t src_irq,
			uint8_t dst_apic, uint8_t dst_pin)
{
	p[0] = type;
	p[1] = irqtype;
	put16(p + 2, 0);
	p[4] = BUS_ISA;
	p[5] = src_irq;
	p[6] = dst_apic;
	p[7] = dst_pin;
	return p + ENT_LEN;
}

int mptable_write(uint8_t *buf, size_t len, uint32_t gpa, unsigned ncpus)
{
	size_t total = mptable_size(ncpus);
	uint8_t *hdr = buf + FP_LEN, *p = hdr + HDR_LEN;
	uint8_t ioapic_id = (uint8_t)ncpus;
	unsigned i, entries = 0;

	if (!ncpus || ncpus >= ALL_LAPICS)
		return -EINVAL;
	if (len < total)
		return -ENOSPC;
	memset(buf, 0, total);
	for (i = 0; i < ncpus; i++, p += CPU_LEN, entries++) {
		p[0] = MP_CPU;
		p[1] = (uint8_t)i;
		p[2] = LAPIC_VERSION;
		p[3] = CPU_EN | (i == 0 ? CPU_BP : 0);
		/* signature and feature flags stay 0: Linux reads CPUID instead */
	}
	p[0] = MP_BUS;
	p[1] = BUS_ISA;
	memcpy(p + 2, "ISA   ", 6);
	p += ENT_LEN, entries++;
	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = IOAPIC_VERSION;
	p[3] = IOAPIC_EN;
	put32(p + 4, MPTABLE_IOAPIC_ADDR);
	p += ENT_LEN, entries++;
	for (i = 0; i < MPTABLE_IOAPIC_PINS; i++, entries++)
		p = put_irq(p, MP_INTSRC, INT_INT, (uint8_t)i, ioapic_id, (uint8_t)i);
	p = put_irq(p, MP_LINTSRC, INT_EXTINT, 0, ALL_LAPICS, 0);
	p = put_irq(p, MP_LINTSRC, INT_NMI, 0, ALL_LAPICS, 1);
	entries += 2;

	memcpy(hdr, "PCMP", 4);
	put16(hdr + 4, (uint16_t)(p - hdr));
	hdr[6] = SPEC_REV;
	memcpy(hdr + 8, "HV      ", 8);
	memcpy(hdr + 16, "HV MPTABLE  ", 12);
	put16(hdr + 34, (uint16_t)entries);
	put32(hdr + 36, MPTABLE_LAPIC_ADDR);
	hdr[7] = checksum(hdr, (size_t)(p - hdr));

	memcpy(buf, "_MP_", 4);
	put32(buf + 4, gpa + FP_LEN);
	buf[8] = 1; /* length in 16-byte units */
	buf[9] = SPEC_REV;
	buf[10] = checksum(buf, FP_LEN);
	return (int)total;
}
