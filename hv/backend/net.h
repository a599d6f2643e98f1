/*
 * Network backends behind hv's NICs.  A device model sees one interface,
 * struct net_ops (send one frame from iovecs, receive one frame into
 * iovecs, cancel a receive), with two backends: a tap interface through
 * io_uring (net_tap.c: frames move between the tap's file descriptor and
 * guest RAM with no copy in hv) and loop (net_loop.c: every frame sent comes
 * back as received, with no kernel network stack: for interface-only tests
 * and benchmarks).
 */
#ifndef HV_NET_H_
#define HV_NET_H_

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "io/ioeng.h"

/* What the command line asked for: `tap:IFNAME[,mac=M]` or `loop[,mac=M]`. */
struct net_spec {
	char ifname[IFNAMSIZ]; /* empty for loop */
	bool loop;
	bool mac_set;
	uint8_t mac[6];
};

struct net;

struct net_ops {
	const char *name;      /* "tap", "loop" */
	unsigned recv_depth;   /* receives worth keeping posted at once */
	/* Sends the frame in iov[0..cnt); op completes with its length or -errno. */
	int (*send)(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		    struct ioeng_op *op);
	/*
	 * Receives the next frame into iov[0..cnt); op completes with its
	 * length, or -errno.  It may wait for ever: it is not in flight for
	 * the engine, and cancel ends it.
	 */
	int (*recv)(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		    struct ioeng_op *op);
	/* Ends a pending receive: its op completes with -ECANCELED (or its frame). */
	int (*cancel)(struct ioeng *e, struct net *n, struct ioeng_op *op);
};

#define NET_LOOP_PARKED 64  /* receives the loop backend holds */
#define NET_LOOP_QUEUED 256 /* frames it holds while nobody receives, as a tap's queue */

struct net {
	const struct net_ops *ops;
	int fd;               /* the tap, or -1 */
	char name[IFNAMSIZ];  /* the interface, or "loop" */
	/* loop: receives waiting for a frame, oldest first */
	struct net_parked {
		struct ioeng_op *op;
		const struct iovec *iov;
		unsigned cnt;
	} parked[NET_LOOP_PARKED];
	unsigned nr_parked;
	/* loop: frames sent while no receive was posted, oldest first */
	struct net_queued {
		uint8_t *data;
		uint32_t len;
	} queued[NET_LOOP_QUEUED];
	unsigned q_head, nr_queued;
	uint64_t lost; /* frames the backend lost (loop: its queue was full) */
};

/* Parses an option argument without side effects; 0 or -EINVAL and err naming opt. */
int net_parse_spec(const char *opt, const char *s, struct net_spec *spec, char *err,
		   size_t errlen);
int net_check_arg(const char *opt, const char *arg, char *err, size_t errlen);

/*
 * Opens the backend: for a tap, an existing interface of that name, attached
 * with TUNSETIFF (IFF_TAP, no packet info).  0, or -errno with a one-line
 * reason in err (missing interface, name too long, no permission, not a tap).
 */
int net_open(struct net *n, const struct net_spec *spec, char *err, size_t errlen);
void net_close(struct net *n);

/* The two backends (net_tap.c, net_loop.c). */
extern const struct net_ops net_tap_ops, net_loop_ops;
int net_tap_open(struct net *n, const char *ifname, char *err, size_t errlen);

static inline int net_send(struct ioeng *e, struct net *n, const struct iovec *iov,
			   unsigned cnt, struct ioeng_op *op)
{
	return n->ops->send(e, n, iov, cnt, op);
}

static inline int net_recv(struct ioeng *e, struct net *n, const struct iovec *iov,
			   unsigned cnt, struct ioeng_op *op)
{
	return n->ops->recv(e, n, iov, cnt, op);
}

static inline int net_cancel(struct ioeng *e, struct net *n, struct ioeng_op *op)
{
	return n->ops->cancel(e, n, op);
}

/* True for a result that means the backend is gone (its tap was deleted). */
bool net_gone(int res);

/*
 * A NIC's MAC: the spec's mac= if given, else locally administered
 * 02:68:76:00:KIND:INDEX (KIND 0 PV, 1 trap).
 */
void net_spec_mac(const struct net_spec *spec, unsigned kind, unsigned index, uint8_t mac[6]);

#endif
