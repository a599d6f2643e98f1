/*
 * lwIP's configuration for the guest kernel: one thread, no OS (NO_SYS=1),
 * raw API only; IPv4 with ARP, ICMP, UDP, TCP and DHCP.  Sized for
 * throughput, not for a microcontroller: a 64 KB TCP window each way, and
 * memory from the kernel heap as the traffic needs it.
 */
#ifndef GK_LWIPOPTS_H
#define GK_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_ALTCP 0
/*
 * The only code that may run in an interrupt handler is the drivers' own:
 * they take frames and completions in the network loop, never in the
 * handler, so lwIP needs no locks at all.
 */
#define SYS_LIGHTWEIGHT_PROT 0

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1 /* ping's ICMP echo */
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
/* Frames come in whole (MTU-sized): no fragments to reassemble or make. */
#define IP_REASSEMBLY 0
#define IP_FRAG 0

#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_NETIF_STATUS_CALLBACK 0
/* The first packet to an unresolved address waits for ARP instead of being dropped. */
#define ARP_QUEUEING 1
#define MEMP_NUM_ARP_QUEUE 64
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/*
 * Memory: lwIP's heap and pools come from the kernel heap on demand
 * (lwip_port.c), so a guest without a NIC pays nothing for the stack and
 * hv's RSS does not grow by pools nobody touches.  Pools on the heap have no
 * count limit (MEMP_NUM_* and PBUF_POOL_SIZE only size statistics): what
 * bounds memory is TCP's windows and queues, the drivers' receive queues,
 * and the guest's RAM.
 */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define mem_clib_malloc lwip_port_malloc
#define mem_clib_calloc lwip_port_calloc
#define mem_clib_free lwip_port_free
#define MEM_ALIGNMENT 8
/* Out-of-order TCP data kept per connection at most: a window's worth. */
#define TCP_OOSEQ_MAX_PBUFS 64

/* TCP: a full-size segment per Ethernet frame and a 64 KB window each way. */
#define TCP_MSS 1460
#define TCP_WND (44 * TCP_MSS)
#define TCP_SND_BUF (44 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define TCP_LISTEN_BACKLOG 1
#define TCP_OVERSIZE TCP_MSS
#define LWIP_TCP_KEEPALIVE 0

/* Software checksums both ways: no offloads are negotiated (hv_net.h). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define LWIP_CHKSUM_ALGORITHM 3

/* netinfo and the drivers keep their own counters. */
#define LWIP_STATS 0

#endif
