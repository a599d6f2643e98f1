/*
 * hv paravirtual block device (pvblk): request and completion formats carried
 * on the rings of hv_ring.h (PROTOCOL.md, "PV block device").  The device's
 * capacity, sector size and read-only flag are in its struct hv_dev_desc.
 */
#ifndef HV_BLK_H
#define HV_BLK_H

#include <stdint.h>

#include "hv_ring.h"

#define HV_BLK_SECTOR 512u            /* unit of hv_blk_req.sector */
#define HV_BLK_MAX_SEG 14             /* segments per request */
#define HV_BLK_MAX_BYTES (1u << 20)   /* data bytes per request */
#define HV_BLK_SEG_ALIGN 512u         /* segment address and length alignment */

enum hv_blk_op {
	HV_BLK_OP_READ = 0,  /* device -> guest memory */
	HV_BLK_OP_WRITE = 1, /* guest memory -> device */
	HV_BLK_OP_FLUSH = 2, /* make completed writes durable; no segments */
	HV_BLK_OP_WRITE_FUA = 3, /* a write that is durable when it completes
	                            (forced unit access); not earlier writes */
};

enum hv_blk_status {
	HV_BLK_S_OK = 0,
	HV_BLK_S_IOERR = 1,  /* the host's I/O failed */
	HV_BLK_S_UNSUPP = 2, /* unknown op */
	HV_BLK_S_BADREQ = 3, /* malformed: segments, alignment, sector range */
	HV_BLK_S_RO = 4,     /* write to a read-only device */
};

/* One data segment: guest-physical, HV_BLK_SEG_ALIGN-aligned address and length. */
struct hv_blk_seg {
	uint64_t gpa;
	uint32_t len;
	uint32_t reserved; /* 0 */
};

/* A submission-ring entry: 256 bytes. */
struct hv_blk_req {
	uint64_t id;       /* echoed in the completion; the guest's to choose */
	uint64_t sector;   /* first sector (HV_BLK_SECTOR units) */
	uint32_t op;       /* enum hv_blk_op */
	uint32_t nr_seg;   /* 1..HV_BLK_MAX_SEG for read/write, 0 for flush */
	uint64_t reserved; /* 0 */
	struct hv_blk_seg seg[HV_BLK_MAX_SEG];
};

/* A completion-ring entry: 16 bytes. */
struct hv_blk_cpl {
	uint64_t id;
	uint32_t status; /* enum hv_blk_status */
	uint32_t bytes;  /* bytes transferred */
};

_Static_assert(sizeof(struct hv_blk_seg) == 16, "hv_blk_seg layout is ABI");
_Static_assert(sizeof(struct hv_blk_req) == 256, "hv_blk_req layout is ABI");
_Static_assert(sizeof(struct hv_blk_cpl) == 16, "hv_blk_cpl layout is ABI");

#endif /* HV_BLK_H */
