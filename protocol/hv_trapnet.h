/*
 * hv trap-and-emulate NIC (trapnet): a register block in an MMIO window, one
 * frame at a time each way, like simple DMA network hardware; every
 * register access is a trapped MMIO exit that hv emulates (PROTOCOL.md,
 * "Trap network controller").  Frame sizes and status codes are the PV
 * NIC's (hv_net.h), so both paths report errors alike.
 */
#ifndef HV_TRAPNET_H
#define HV_TRAPNET_H

#include "hv_net.h"

#define HV_TRAPNET_WINDOW 0x1000 /* bytes of MMIO per controller */
#define HV_TRAPNET_MAGIC 0x4e547668u /* "hvTN" little-endian */
#define HV_TRAPNET_VERSION 1

/* Register offsets; 32-bit registers take 4-byte accesses, 64-bit ones 8 or 2x4. */
#define HV_TRAPNET_R_MAGIC 0x00     /* RO 32 */
#define HV_TRAPNET_R_VERSION 0x04   /* RO 32 */
#define HV_TRAPNET_R_MAC_LO 0x08    /* RO 32: MAC bytes 0..3 (byte 0 in bits 7:0) */
#define HV_TRAPNET_R_MAC_HI 0x0c    /* RO 32: MAC bytes 4..5 in bits 15:0 */
#define HV_TRAPNET_R_MTU 0x10       /* RO 32 */
#define HV_TRAPNET_R_LINK 0x14      /* RO 32: 1 while the link is up */
#define HV_TRAPNET_R_TX_ADDR 0x18   /* RW 64: guest-physical frame to send */
#define HV_TRAPNET_R_TX_LEN 0x20    /* RW 32: its length, 14..MTU+14 */
#define HV_TRAPNET_R_TX_CMD 0x24    /* WO 32: HV_TRAPNET_CMD_SEND sends one frame */
#define HV_TRAPNET_R_TX_STATUS 0x28 /* RO 32: ST_BUSY while sending, then enum hv_net_status */
#define HV_TRAPNET_R_RX_ADDR 0x30   /* RW 64: guest-physical receive buffer */
#define HV_TRAPNET_R_RX_LEN 0x38    /* RW 32: its length, >= MTU+14 */
#define HV_TRAPNET_R_RX_CMD 0x3c    /* WO 32: HV_TRAPNET_CMD_POST hands the buffer over */
#define HV_TRAPNET_R_RX_STATUS 0x40 /* RO 32: ST_BUSY while posted and empty, then status */
#define HV_TRAPNET_R_RX_FRAME 0x44  /* RO 32: length of the frame received */
#define HV_TRAPNET_R_ISR 0x48       /* RW1C 32: HV_TRAPNET_INT_* */
#define HV_TRAPNET_R_IER 0x4c       /* RW 32: which ISR bits raise the MSI */
#define HV_TRAPNET_R_VECTOR 0x50    /* RO 32: the vector the MSI carries */

#define HV_TRAPNET_CMD_SEND 1
#define HV_TRAPNET_CMD_POST 1
#define HV_TRAPNET_ST_BUSY (1u << 31) /* low byte: enum hv_net_status of the last command */
#define HV_TRAPNET_ST_IDLE (1u << 30) /* RX_STATUS: no buffer posted */

#define HV_TRAPNET_INT_TX (1u << 0)   /* a send finished */
#define HV_TRAPNET_INT_RX (1u << 1)   /* a frame arrived in the posted buffer */
#define HV_TRAPNET_INT_LINK (1u << 2) /* LINK changed */

#endif /* HV_TRAPNET_H */
