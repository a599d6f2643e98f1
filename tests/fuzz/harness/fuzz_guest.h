/*
 * A hostile guest, for the fuzz targets: it writes its RAM at will, and on
 * its side of one hv queue it attaches
 * with a setup of the input's choosing (sizes, addresses, MSI-X entry, queue
 * number, features, reserved fields, where the setup lies), writes
 * submission entries, moves its indices sanely or wildly, scribbles on the
 * indices hv owns, rings the doorbell and detaches.  A device target
 * supplies only how one submission entry is built.
 */
#ifndef HV_FUZZ_GUEST_H
#define HV_FUZZ_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz_in.h"
#include "fuzz_vm.h"

/* Copies bytes of the input to a place in guest RAM the input chooses. */
void fuzz_ram_write(struct fuzz_vm *f, struct fuzz_in *in);

/* Fills one submission entry of esize bytes from the input. */
typedef void (*fuzz_entry_fn)(struct fuzz_vm *f, struct fuzz_in *in, void *entry,
			      uint32_t esize);

struct fuzz_ring {
	struct fuzz_vm *f;
	uint64_t dev;          /* the device's table index */
	uint16_t queue;        /* its queue number (hv_queue_setup.queue) */
	struct pvq *q;         /* hv's end: its copy of the setup says where the rings are */
	fuzz_entry_fn entry;
};

/* The steps fuzz_ring_step knows: op is taken modulo this. */
#define FUZZ_RING_OPS 9

/* One step of the guest's program for this queue (op % FUZZ_RING_OPS). */
void fuzz_ring_step(struct fuzz_ring *r, uint8_t op, struct fuzz_in *in);

#endif
