/*
 * Network backends behind hv's NICs.  A device model sees one interface,
 * struct net_ops (send one frame from iovecs, receive one frame into
 * iovecs, cancel a receive, close), with two backends chosen from one
 * table by the argument's prefix: a tap interface through io_uring
 * ("tap:IFNAME", net_tap.c: frames move between the tap's file descriptor
 * and guest RAM with no copy in hv) and loop ("loop", net_loop.c: every
 * frame sent comes back as received, with no kernel network stack: for
 * interface-only tests and benchmarks).  Each keeps its own state behind
 * net.priv.
 */
#ifndef HV_NET_H_
#define HV_NET_H_

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "backend/net_link.h"
#include "fault/fault_net.h"
#include "io/ioeng.h"
#include "io/qlimit.h"

struct net;
struct net_spec;

struct net_ops {
	const char *name;      /* "tap", "loop" */
	const char *prefix;    /* what selects it: "tap:" (a name follows), "loop" (all of it) */
	unsigned recv_depth;   /* receives worth keeping posted at once */
	/* Sets up n (its name, its private state) for spec; 0 or -errno with the reason in err. */
	int (*open)(struct net *n, const struct net_spec *spec, char *err, size_t errlen);
	/* Frees the private state; net_close calls it once. */
	void (*close)(struct net *n);
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

/*
 * What the command line asked for: `tap:IFNAME[,OPTION...]` or `loop[,OPTION...]`,
 * OPTION mac=M or a rate limit per direction: rx-bps=, rx-pps=, rx-bps-burst=,
 * rx-pps-burst= and the same with tx-.
 */
struct net_spec {
	const struct net_ops *ops; /* the backend its prefix selects */
	char ifname[IFNAMSIZ];     /* what follows the prefix: the tap's name; empty for loop */
	bool mac_set;
	uint8_t mac[6];
	struct rate_set rx, tx;    /* rate limits (all 0: none) */
};

struct net {
	const struct net_ops *ops;
	void *priv;           /* the backend's own state */
	char name[IFNAMSIZ];  /* the interface, or "loop" */
	uint64_t lost;        /* frames the backend lost (loop: its queue was full) */
	struct net_link *link; /* its link (net_link.h), from net_open: every NIC has one */
	struct fault_net *fault; /* --fault rules on its frames, or NULL: none */
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

/*
 * A tap backend on fd, already attached (or a socket that carries one frame
 * a message), its link up with nothing to watch.
 */
int net_tap_adopt(struct net *n, int fd, const char *name);

/* Gives n a link, up, with nothing to watch, unless it has one; 0 or -ENOMEM. */
int net_link_alloc(struct net *n);

static inline int net_send(struct ioeng *e, struct net *n, const struct iovec *iov,
			   unsigned cnt, struct ioeng_op *op)
{
	if (n->fault) /* one test a frame without rules */
		return fault_net_send(e, n, iov, cnt, op);
	return n->ops->send(e, n, iov, cnt, op);
}

static inline int net_recv(struct ioeng *e, struct net *n, const struct iovec *iov,
			   unsigned cnt, struct ioeng_op *op)
{
	if (n->fault) /* one test a receive without rules */
		return fault_net_recv(e, n, iov, cnt, op);
	return n->ops->recv(e, n, iov, cnt, op);
}

static inline int net_cancel(struct ioeng *e, struct net *n, struct ioeng_op *op)
{
	if (n->fault)
		return fault_net_cancel(e, n, op);
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
