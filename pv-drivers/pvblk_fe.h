/*
 * The PV block driver (front end of hv's pvblk device): asynchronous
 * requests with completion callbacks, synchronous helpers on top, and either
 * interrupt-driven completion or polling, chosen per device.  OS-neutral:
 * it sees only pv_os.h and protocol/.
 */
#ifndef PVBLK_FE_H
#define PVBLK_FE_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_abi.h"
#include "hv_blk.h"
#include "blk_sync.h"
#include "pv_os.h"
#include "pv_poll.h"
#include "pv_ring.h"

#define PVBLK_FE_MAX_DEPTH 256

/* A request's completion: status (enum hv_blk_status), bytes hv moved (blk_sync's type). */
typedef blk_sync_done_fn pvblk_fe_done;

struct pvblk_fe_slot {
	pvblk_fe_done fn;
	void *arg;
	uint32_t next_free; /* free-list link */
	bool busy;
};

struct pvblk_fe_stats {
	uint64_t submitted, completed, errors, notifies, interrupts, bogus_cpl;
	uint64_t recovered; /* waits that timed out with completions waiting: a lost interrupt */
};

struct pvblk_fe {
	const struct pv_os *os;
	uint32_t dev_index;      /* in hv's device table */
	uint32_t unit;           /* pvblk<unit> */
	uint64_t sectors;
	uint32_t sector_size;
	bool ro;
	bool polling;            /* no interrupts; waiters spin on the ring */
	uint16_t port;
	struct pv_ring ring;
	uint32_t depth;          /* requests outstanding at most (= completion ring size) */
	uint32_t outstanding;
	uint32_t free_head;
	volatile int progress;   /* set whenever a completion is consumed */
	struct pv_poll poll;     /* interrupt mode: the window a waiter polls before it halts */
	struct pvblk_fe_slot slot[PVBLK_FE_MAX_DEPTH];
	struct pvblk_fe_stats st;
};

struct pvblk_fe_config {
	uint32_t queue_size;     /* entries per ring, power of two <= PVBLK_FE_MAX_DEPTH */
	uint32_t msix;           /* MSI-X entry completions signal; HV_MSIX_NONE: polling */
	uint32_t start_index;    /* first ring index (tests start near 2^32) */
	uint32_t poll_cap_ns;    /* interrupt mode: poll window cap before a halt; 0: none */
	bool poll_fixed;         /* the window stays at the cap (tests) */
};

/*
 * Attaches device dev_index (a HV_DEV_PVBLK entry, desc) with its rings.
 * In interrupt mode the OS routes MSI-X entry cfg->msix to
 * pvblk_fe_interrupt().
 * 0 or -HV_E*.
 */
int pvblk_fe_init(struct pvblk_fe *d, const struct pv_os *os, uint32_t dev_index,
		  const struct hv_dev_desc *desc, const struct pvblk_fe_config *cfg);

/*
 * Detaches the queue (HV_HC_QUEUE_DETACH) and frees the rings; requests
 * still outstanding are dropped without their callbacks, so quiesce first.
 * 0 or -HV_E*; d may then be initialised again.
 */
int pvblk_fe_detach(struct pvblk_fe *d);

/*
 * Queues a request (r->id is the driver's: leave it).  Nothing reaches hv
 * until pvblk_fe_kick(), so a batch costs at most one doorbell.  0, or
 * -HV_EAGAIN while depth requests are outstanding.  Detached (or after a
 * failed attach) it completes at once with HV_BLK_S_IOERR.
 */
int pvblk_fe_submit(struct pvblk_fe *d, struct hv_blk_req *r, pvblk_fe_done fn, void *arg);
void pvblk_fe_kick(struct pvblk_fe *d);

/* Takes every completion and runs its callback; returns how many. */
unsigned pvblk_fe_poll(struct pvblk_fe *d);
/* The completion interrupt's handler. */
void pvblk_fe_interrupt(struct pvblk_fe *d);
/*
 * Waits for progress: spins (polling mode), or polls the completion ring
 * with its interrupt suppressed for the adaptive window (pv_poll.h), re-arms
 * it with a final re-check, and sleeps until an interrupt.
 */
void pvblk_fe_wait(struct pvblk_fe *d, const volatile int *flag);

/* Fills r for a read or write of one contiguous buffer. */
void pvblk_fe_prep(struct pvblk_fe *d, struct hv_blk_req *r, uint32_t op, uint64_t sector,
		   void *buf, uint32_t bytes);

/*
 * The front end's one ops table for blk_sync.h (drv: the struct pvblk_fe),
 * which the guest's block layer uses too; and the device as the
 * synchronous loop drives it.
 */
extern const struct blk_sync_ops pvblk_fe_blk_ops;
void pvblk_fe_sync_dev(struct pvblk_fe *d, struct blk_sync_dev *s);

/*
 * Synchronous helpers over blk_sync: read/write bytes (a multiple of 512) at
 * sector from or to a physically contiguous buffer, and flush.  HV_BLK_S_*.
 */
uint32_t pvblk_fe_rw(struct pvblk_fe *d, uint32_t op, uint64_t sector, void *buf,
		     uint64_t bytes);
uint32_t pvblk_fe_flush(struct pvblk_fe *d);

const char *pvblk_fe_status_name(uint32_t status);

#endif
