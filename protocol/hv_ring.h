/*
 * hv shared rings: the generic single-producer/single-consumer ring every PV
 * device uses (PROTOCOL.md, "Rings").  A queue is a submission ring (guest
 * produces, hv consumes) and a completion ring (hv produces, guest consumes),
 * each a control block followed by a power-of-two array of fixed-size
 * entries, in guest RAM.  The inline helpers run unchanged on both sides.
 */
#ifndef HV_RING_H
#define HV_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_abi.h"

#define HV_RING_ALIGN 64        /* a ring's base address alignment */
#define HV_RING_MIN 2           /* entries */
#define HV_RING_MAX 4096        /* entries */

/*
 * The control block.  prod is written only by the producer; cons and event
 * only by the consumer; each side's words sit on their own cache line so the
 * two sides never write the same line.
 *
 * Indices are free-running 32-bit counters: entry i lives in slot
 * i & (size - 1); the ring holds prod - cons entries (mod 2^32), never more
 * than size.  event is the consumer's event index: "notify me when prod moves
 * past event", i.e. when the entry with index event has been published.
 */
struct hv_ring_ctl {
	uint32_t prod;
	uint32_t prod_pad[15];
	uint32_t cons;
	uint32_t event;
	uint32_t cons_pad[14];
};

#define HV_RING_ENTRIES_OFF sizeof(struct hv_ring_ctl) /* 128 */

#ifndef __ASSEMBLER__
_Static_assert(sizeof(struct hv_ring_ctl) == 128, "hv_ring_ctl layout is ABI");

/* Bytes a ring of n entries of esize bytes occupies, control block included. */
static inline uint64_t hv_ring_bytes(uint32_t n, uint32_t esize)
{
	return HV_RING_ENTRIES_OFF + (uint64_t)n * esize;
}

static inline bool hv_ring_size_ok(uint32_t n)
{
	return n >= HV_RING_MIN && n <= HV_RING_MAX && (n & (n - 1)) == 0;
}

/*
 * The event-index test (as virtio's vring_need_event): having moved prod
 * from old to new, the producer must notify iff event lies in [old, new).
 * Unsigned arithmetic makes it correct across the 2^32 wrap.
 */
static inline bool hv_ring_need_event(uint32_t event, uint32_t new_idx, uint32_t old_idx)
{
	return (uint32_t)(new_idx - event - 1) < (uint32_t)(new_idx - old_idx);
}

/*
 * Memory ordering (PROTOCOL.md, "Ordering").  Both sides use these four:
 *   load-acquire of the other side's index before reading entries it covers,
 *   store-release of one's own index after writing / reading the entries,
 *   and a full fence between publishing one's index and reading the peer's
 *   event (or between writing event and re-reading prod), the one store-load
 *   ordering x86 does not give for free.
 */
static inline uint32_t hv_ring_load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void hv_ring_store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void hv_ring_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Copies one entry out of the ring before anything reads its fields (as
 * Xen's RING_COPY_REQUEST).  The source is read through a volatile pointer,
 * once per 8-byte word, so the compiler can neither read the shared entry
 * again after the copy was validated nor merge the copy away: the other side
 * may rewrite the entry at any moment, and only the private copy is checked
 * and used.  Entries are 8-byte aligned multiples of 8 bytes.
 */
static inline void hv_ring_copy_entry(void *dst, const void *src, size_t bytes)
{
	const volatile uint64_t *s = (const volatile uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		d[i] = s[i];
}

/*
 * Attaching a queue: the guest fills a struct hv_queue_setup in its RAM and
 * calls HV_HC_QUEUE_ATTACH(device index, gpa of the setup).  hv copies and
 * validates it and answers with the queue's notify port (>= 0) or -HV_E*.
 * From then on a 32-bit write of any value to that port is the doorbell
 * ("the submission ring has new entries"); completions arrive as the
 * message of the device's MSI-X entry msix, or not at all with
 * HV_MSIX_NONE (polling).
 */
struct hv_queue_setup {
	uint64_t sq_gpa;   /* HV_RING_ALIGN-aligned; hv_ring_bytes(sq_size, entry) */
	uint64_t cq_gpa;   /* likewise, not overlapping the submission ring */
	uint32_t sq_size;  /* entries, a power of two in [HV_RING_MIN, HV_RING_MAX] */
	uint32_t cq_size;  /* likewise; must be >= sq_size */
	uint32_t msix;     /* MSI-X entry of the device's PCI function that
	                      completions signal, or HV_MSIX_NONE: no interrupts */
	uint16_t queue;    /* which of the device's queues: 0 for a disk; HV_NET_Q_* */
	uint16_t reserved; /* 0 */
	uint64_t features; /* device features the driver accepts (a subset of the offer) */
};

#define HV_MSIX_NONE 0xffffffffu
_Static_assert(sizeof(struct hv_queue_setup) == 40, "hv_queue_setup layout is ABI");
#endif /* !__ASSEMBLER__ */

/* Notify ports: one 4-byte port per queue, from this base upward. */
#define HV_NOTIFY_PORT_BASE 0x0600
#define HV_NOTIFY_PORT_COUNT 64

#endif /* HV_RING_H */
