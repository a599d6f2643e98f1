/*
 * A NIC's link as the host sees it: up; down (its tap set down, or without
 * carrier: the tap is still there and traffic resumes once it is up again);
 * or gone for good (the tap deleted, or moved out of hv's namespace).  For a
 * tap, an rtnetlink socket subscribed to RTMGRP_LINK, opened with the tap
 * (before the sandbox), is one of the I/O thread's sources: the thread reads
 * its messages through its restricted io_uring, like a doorbell, so nothing
 * polls and the thread makes no system call its allowlist lacks.  Messages
 * about other interfaces are ignored.  Other backends (loop) never change
 * but for net_link_lost.
 */
#ifndef HV_NET_LINK_H
#define HV_NET_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "io/iothread.h"

enum net_link_state {
	NET_LINK_UP = 0,
	NET_LINK_DOWN = 1, /* the interface is not IFF_UP, or has no carrier (IFF_LOWER_UP) */
	NET_LINK_GONE = 2, /* for good: the backend went away */
};

/* One read: a whole RTM_NEWLINK of a tap fits; a longer one is cut, its header kept. */
#define NET_LINK_BUF 8192
#define NET_LINK_SEQ 1 /* the sequence number of hv's own RTM_GETLINK */

struct net_link_req {
	struct nlmsghdr h;
	struct ifinfomsg i;
};

struct net_link {
	struct io_source src; /* src.fd: the netlink socket; -1: nothing to watch */
	int ifindex;          /* messages about any other interface are ignored */
	char ifname[IFNAMSIZ];
	int state;            /* enum net_link_state; atomic: any thread may read it */
	/*
	 * The device's (net_link_bind): its name for the log lines, and what
	 * runs on the thread that noticed each change (the I/O thread).
	 */
	char dev[16];
	void (*changed)(void *ctx, enum net_link_state now);
	void *ctx;
	uint64_t downs, ups;  /* changes: to down (or gone), and back up */
	uint64_t overruns;    /* reads that found messages lost (ENOBUFS): asked again */
	/* the I/O thread's query after an overrun: one RTM_GETLINK, one writev */
	struct net_link_req req;
	struct iovec req_iov;
	struct ioeng_op req_op;
	bool req_busy;
	uint8_t buf[NET_LINK_BUF] __attribute__((aligned(8)));
};

/* A link with nothing to watch, up (loop, a descriptor adopted as a tap). */
void net_link_init(struct net_link *l, const char *ifname);

/*
 * Watches interface ifindex: subscribes a new rtnetlink socket to link
 * changes, then asks for the interface's state now, so hv starts from what
 * the interface is (down if it is set down).  0, or -errno and a one-line
 * reason in err.
 */
int net_link_watch(struct net_link *l, int ifindex, char *err, size_t errlen);

/*
 * Watches ifindex on fd, a descriptor that delivers rtnetlink messages one
 * datagram a read (tests: a socketpair); net_link takes it over.
 */
void net_link_watch_fd(struct net_link *l, int fd, int ifindex);

void net_link_close(struct net_link *l);

/* Names the device in the log lines and sets what runs on each change. */
void net_link_bind(struct net_link *l, const char *dev, void (*changed)(void *ctx,
		   enum net_link_state now), void *ctx);

/* The source the I/O thread must serve, or NULL: nothing to watch. */
struct io_source *net_link_source(struct net_link *l);

static inline enum net_link_state net_link_state(const struct net_link *l)
{
	return (enum net_link_state)__atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
}

static inline bool net_link_up(const struct net_link *l)
{
	return net_link_state(l) == NET_LINK_UP;
}

/*
 * The thread that noticed: the link is now `now` (gone is for good: no
 * change after it).  Logs one line, counts, calls changed; nothing if it
 * was already so.
 */
void net_link_set(struct net_link *l, enum net_link_state now);

/* The backend failed with an error that means it is gone: net_link_set(GONE). */
static inline void net_link_lost(struct net_link *l)
{
	net_link_set(l, NET_LINK_GONE);
}

/*
 * What the rtnetlink messages in buf[0..len) last say about ifindex: an
 * enum net_link_state, or -1 for nothing.  A message cut short still counts
 * if its header and struct ifinfomsg are whole.
 */
int net_link_parse(const void *buf, size_t len, int ifindex);

#endif
