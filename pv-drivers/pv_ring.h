/*
 * The guest's end of one hv queue (protocol/hv_ring.h): it produces on the
 * submission ring and consumes the completion ring.  Generic over entry
 * sizes; a device driver puts its own entries in the slots.  Not locked:
 * callers serialise (with interrupts masked, on one CPU).
 */
#ifndef PV_RING_H
#define PV_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_ring.h"
#include "pv_os.h"

struct pv_ring {
	struct hv_ring_ctl *sq, *cq;
	uint8_t *sqe, *cqe;
	uint64_t sq_pa, cq_pa;
	uint32_t sq_size, cq_size, sq_esize, cq_esize;
	uint32_t sq_prod;     /* next slot to fill */
	uint32_t sq_notified; /* sq_prod at the last publish */
	uint32_t cq_cons;     /* next completion to take */
	uint64_t notifies, publishes;
};

/*
 * Allocates both rings with every index at start (tests pick one near 2^32).
 * 0, -EINVAL (sizes) or -ENOMEM.
 */
int pv_ring_alloc(struct pv_ring *r, const struct pv_os *os, uint32_t sq_size,
		  uint32_t sq_esize, uint32_t cq_size, uint32_t cq_esize, uint32_t start);
void pv_ring_free(struct pv_ring *r, const struct pv_os *os);

/* The next free submission slot, or NULL while the ring is full. */
void *pv_ring_sq_slot(struct pv_ring *r);
/* Counts the slot just filled; it is not visible to hv until publish. */
void pv_ring_sq_push(struct pv_ring *r);
/* Makes pushed entries visible; true if hv asked to be notified of them. */
bool pv_ring_sq_publish(struct pv_ring *r);

/*
 * Attaches the rings as queue `queue` of device dev_index (HV_HC_QUEUE_ATTACH),
 * completions signalling MSI-X entry msix of the device's PCI function
 * (HV_MSIX_NONE: none, the driver polls).  With an entry the completion
 * interrupt is enabled before hv sees the rings; the OS has programmed and
 * unmasked the entry.  The notify
 * port (>= 0) or -HV_E*.
 */
int64_t pv_ring_attach(struct pv_ring *r, const struct pv_os *os, uint32_t dev_index,
		       uint16_t queue, uint32_t msix);

/* The oldest unconsumed completion, or NULL. */
const void *pv_ring_cq_peek(struct pv_ring *r);
/* Releases it (its slot may be reused by hv at once). */
void pv_ring_cq_pop(struct pv_ring *r);
/*
 * Takes one completion: copies the oldest into out (a multiple of 8 bytes,
 * at most the entry size) and releases its slot.  False if there is none.
 */
bool pv_ring_cq_take(struct pv_ring *r, void *out, uint32_t bytes);
/* True if a completion is waiting (a cheap look for pollers: one load). */
bool pv_ring_cq_ready(struct pv_ring *r);
/*
 * Enables the completion interrupt: asks hv for one at the next completion
 * (event index = consumer).  Returns true if one arrived meanwhile (the
 * caller must consume again, or it may never be told).
 */
bool pv_ring_cq_arm_irq(struct pv_ring *r);
/*
 * Suppresses it while the guest polls: moves the event index half a ring
 * behind, so hv's need-event test fails for the next 2^31 completions.
 * Re-enable with pv_ring_cq_arm_irq (and consume again if it says so).
 */
void pv_ring_cq_mute_irq(struct pv_ring *r);

#endif
