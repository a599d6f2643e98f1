/*
 * hv network devices (PROTOCOL.md, "PV NIC"): frame sizes and statuses
 * both NICs share, and the PV NIC's requests.  A PV NIC (pvnet) has two
 * queues on the rings of hv_ring.h: RX, on which the guest posts empty
 * buffers that hv fills with received frames, and TX, on which the guest
 * posts frames for hv to send.  Its MAC, MTU, link state and offered
 * features are in its struct hv_dev_desc (cfg.net).  The trap NIC's
 * registers are in hv_trapnet.h.
 */
#ifndef HV_NET_H
#define HV_NET_H

#include <stdint.h>

#include "hv_ring.h"

/* Queue numbers of a PV NIC (hv_queue_setup.queue). */
#define HV_NET_Q_RX 0
#define HV_NET_Q_TX 1
#define HV_NET_NR_QUEUES 2
/*
 * MSI-X entries of a PV NIC's PCI function: the queues' usual choices, and
 * the link event, sent whenever HV_DEV_F_LINK_UP changes (the guest rereads
 * its descriptor with HV_HC_DEV_INFO).  A PV disk has one entry per queue.
 */
#define HV_NET_MSIX_RX 0
#define HV_NET_MSIX_TX 1
#define HV_NET_MSIX_LINK 2
#define HV_NET_MSIX_ENTRIES 3

#define HV_NET_ETH_HLEN 14            /* destination, source, ethertype */
#define HV_NET_MIN_FRAME 14           /* a frame is at least an Ethernet header */
#define HV_NET_MAX_FRAME 65536u       /* the format's bound on one frame, all segments */
#define HV_NET_MAX_SEG 15             /* segments per TX request */
#define HV_NET_DEFAULT_MTU 1500       /* payload bytes: frames up to MTU + 14 */

/*
 * Features (hv_dev_desc.cfg.net.features offers, hv_queue_setup.features
 * accepts a subset; a feature is on only if both say so).  None is
 * implemented yet: hv offers 0 and refuses an attach of either queue that
 * asks for any.
 * Defined so the format is settled:
 *   TX_CSUM   hv fills the L4 checksum of a TX frame whose request has
 *             HV_NET_TX_F_CSUM (csum_start/csum_offset as virtio-net's)
 *   TX_TSO4   a TX frame may be a TCPv4 super-frame up to HV_NET_MAX_FRAME,
 *             cut into MSS-sized segments by hv (the request has no MSS
 *             field yet: TSO4 will change it, PROTOCOL.md 13.5)
 *   RX_CSUM   RX completions may carry HV_NET_RXC_F_CSUM_OK
 *   RX_MERGE  a received frame may span several RX buffers (HV_NET_RXC_F_MORE)
 */
#define HV_NET_F_TX_CSUM (1ull << 0)
#define HV_NET_F_TX_TSO4 (1ull << 1)
#define HV_NET_F_RX_CSUM (1ull << 2)
#define HV_NET_F_RX_MERGE (1ull << 3)

enum hv_net_status {
	HV_NET_S_OK = 0,
	HV_NET_S_BADREQ = 1,    /* malformed: segments, lengths, flags */
	HV_NET_S_LINK_DOWN = 2, /* the backend is gone: nothing was sent */
	HV_NET_S_IOERR = 3,     /* the host could not send it */
};

/* One segment of a TX frame: any guest-physical range inside RAM. */
struct hv_net_seg {
	uint64_t gpa;
	uint32_t len;      /* > 0 */
	uint32_t reserved; /* 0 */
};

#define HV_NET_TX_F_CSUM (1u << 0) /* needs HV_NET_F_TX_CSUM */

/* A TX submission entry, 256 bytes: one frame in 1..HV_NET_MAX_SEG segments. */
struct hv_net_tx {
	uint64_t id;          /* echoed in the completion */
	uint16_t nr_seg;      /* 1..HV_NET_MAX_SEG */
	uint16_t flags;       /* HV_NET_TX_F_*: 0 without features */
	uint16_t csum_start;  /* offloads only; 0 */
	uint16_t csum_offset; /* offloads only; 0 */
	struct hv_net_seg seg[HV_NET_MAX_SEG];
};

/* A TX completion, 16 bytes: the frame's fate; its buffers are the guest's again. */
struct hv_net_txc {
	uint64_t id;
	uint32_t status; /* enum hv_net_status */
	uint32_t len;    /* bytes sent */
};

/* An RX submission entry, 16 bytes: one empty buffer for one frame. */
struct hv_net_rxb {
	uint64_t gpa;
	uint32_t len; /* >= MTU + HV_NET_ETH_HLEN without RX_MERGE */
	uint32_t id;  /* echoed in the completion */
};

#define HV_NET_RXC_F_MORE (1u << 0)    /* RX_MERGE: the frame continues in the next one */
#define HV_NET_RXC_F_CSUM_OK (1u << 1) /* RX_CSUM: the L4 checksum was verified */

/* An RX completion, 16 bytes: a received frame in the buffer with this id. */
struct hv_net_rxc {
	uint32_t id;
	uint32_t len;    /* frame bytes in the buffer (0 with status != OK) */
	uint16_t status; /* enum hv_net_status: BADREQ for a buffer hv refused */
	uint16_t flags;  /* HV_NET_RXC_F_* */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hv_net_seg) == 16, "hv_net_seg layout is ABI");
_Static_assert(sizeof(struct hv_net_tx) == 256, "hv_net_tx layout is ABI");
_Static_assert(sizeof(struct hv_net_txc) == 16, "hv_net_txc layout is ABI");
_Static_assert(sizeof(struct hv_net_rxb) == 16, "hv_net_rxb layout is ABI");
_Static_assert(sizeof(struct hv_net_rxc) == 16, "hv_net_rxc layout is ABI");

#endif /* HV_NET_H */
