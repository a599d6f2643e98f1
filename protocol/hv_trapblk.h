/*
 * hv trap-and-emulate block controller (trapblk): a register block in an
 * MMIO window, programmed one request at a time like simple DMA disk
 * hardware; every register access is a trapped MMIO exit that hv emulates
 * (PROTOCOL.md, "Trap block controller").  Status codes are the PV device's
 * (hv_blk.h), so both paths report errors alike.
 */
#ifndef HV_TRAPBLK_H
#define HV_TRAPBLK_H

#include "hv_blk.h"

#define HV_TRAPBLK_WINDOW 0x1000 /* bytes of MMIO per controller */
#define HV_TRAPBLK_MAGIC 0x42547668u /* "hvTB" little-endian */
#define HV_TRAPBLK_VERSION 1
#define HV_TRAPBLK_MAX_SECTORS (HV_BLK_MAX_BYTES / HV_BLK_SECTOR) /* per command */

/* Register offsets; 32-bit registers take 4-byte accesses, 64-bit ones 8 or 2x4. */
#define HV_TRAPBLK_R_MAGIC 0x00    /* RO 32: HV_TRAPBLK_MAGIC */
#define HV_TRAPBLK_R_VERSION 0x04  /* RO 32: HV_TRAPBLK_VERSION */
#define HV_TRAPBLK_R_CAPACITY 0x08 /* RO 64: sectors */
#define HV_TRAPBLK_R_SECTOR 0x10   /* RW 64: first sector of the next command */
#define HV_TRAPBLK_R_COUNT 0x18    /* RW 32: sectors (checked at CMD: 1..MAX_SECTORS) */
#define HV_TRAPBLK_R_FLAGS 0x1c    /* RO 32: HV_TRAPBLK_F_* */
#define HV_TRAPBLK_R_DMA 0x20      /* RW 64: guest-physical buffer, 512-aligned */
#define HV_TRAPBLK_R_CMD 0x28      /* WO 32: writing starts a command */
#define HV_TRAPBLK_R_STATUS 0x2c   /* RO 32: exactly ST_BUSY while a command runs,
                                      then the result (enum hv_blk_status) */
#define HV_TRAPBLK_R_ISR 0x30      /* RW1C 32: HV_TRAPBLK_INT_DONE */
#define HV_TRAPBLK_R_IER 0x34      /* RW 32: HV_TRAPBLK_INT_DONE enables the MSI */
#define HV_TRAPBLK_R_BYTES 0x38    /* RO 32: bytes the last command moved */
#define HV_TRAPBLK_R_VECTOR 0x3c   /* RO 32: the interrupt vector the MSI carries */

enum hv_trapblk_cmd {
	HV_TRAPBLK_CMD_READ = 1,     /* COUNT sectors at SECTOR into DMA */
	HV_TRAPBLK_CMD_WRITE = 2,    /* COUNT sectors from DMA to SECTOR */
	HV_TRAPBLK_CMD_FLUSH = 3,    /* completed writes made durable */
	HV_TRAPBLK_CMD_IDENTIFY = 4, /* a struct hv_trapblk_identify into DMA */
};

#define HV_TRAPBLK_F_RO (1u << 0)
#define HV_TRAPBLK_ST_BUSY (1u << 31) /* low byte: enum hv_blk_status of the last command */
#define HV_TRAPBLK_INT_DONE (1u << 0)

/* What IDENTIFY writes: one sector. */
struct hv_trapblk_identify {
	uint32_t magic;       /* HV_TRAPBLK_MAGIC */
	uint32_t version;
	uint64_t capacity;    /* sectors */
	uint32_t sector_size; /* 512 */
	uint32_t flags;       /* HV_TRAPBLK_F_* */
	uint32_t max_sectors; /* per command */
	uint8_t reserved[484];
};

_Static_assert(sizeof(struct hv_trapblk_identify) == 512, "identify is one sector");

#endif /* HV_TRAPBLK_H */
