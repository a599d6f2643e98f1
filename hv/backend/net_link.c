/* A NIC's link: an rtnetlink watch of its tap, and the state every thread reads (net_link.h). */
#include "backend/net_link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

/* linux/if.h's, which clashes with net/if.h (and musl's lacks it): the carrier. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

static const char *const state_words[] = {
	[NET_LINK_UP] = "link up", [NET_LINK_DOWN] = "link down",
	[NET_LINK_GONE] = "is gone: link down",
};

int net_link_parse(const void *buf, size_t len, int ifindex)
{
	const uint8_t *p = buf;
	int state = -1;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)p;
		size_t mlen = h->nlmsg_len, step;

		if (mlen < sizeof(*h))
			break;
		if (mlen > len)
			mlen = len; /* cut by a short read: its fixed part may still be whole */
		if ((h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) &&
		    mlen >= NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
			const struct ifinfomsg *i = NLMSG_DATA(h);

			if (i->ifi_index == ifindex)
				state = h->nlmsg_type == RTM_DELLINK ? NET_LINK_GONE :
					(i->ifi_flags & IFF_UP) && (i->ifi_flags & IFF_LOWER_UP) ?
					NET_LINK_UP : NET_LINK_DOWN;
		} else if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == NET_LINK_SEQ &&
			   mlen >= NLMSG_LENGTH(sizeof(int))) {
			int error;

			/* hv's own query, refused: the interface no longer exists. */
			memcpy(&error, NLMSG_DATA(h), sizeof(error));
			if (error == -ENODEV)
				state = NET_LINK_GONE;
		}
		step = NLMSG_ALIGN(mlen);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return state;
}

void net_link_set(struct net_link *l, enum net_link_state now)
{
	int was = net_link_state(l);

	/* Only the thread that serves the link writes it; gone is for good. */
	if (was == (int)now || was == NET_LINK_GONE)
		return;
	__atomic_store_n(&l->state, (int)now, __ATOMIC_RELEASE);
	if (now == NET_LINK_UP)
		stat_add(&l->ups, 1);
	else if (was == NET_LINK_UP)
		stat_add(&l->downs, 1);
	log_printf(&log_stderr, "%s: %s %s", l->dev[0] ? l->dev : "net", l->ifname,
		   state_words[now]);
	if (l->changed)
		l->changed(l->ctx, now);
}

static void query_done(struct ioeng_op *op, int res)
{
	(void)res; /* a failed query: the next message or overrun brings the state */
	container_of(op, struct net_link, req_op)->req_busy = false;
}

/* Asks the kernel for the interface's state; the answer arrives as a message. */
static void query(struct net_link *l, struct ioeng *e)
{
	struct io_uring_sqe *sqe;

	if (l->req_busy || !(sqe = ioeng_sqe(e)))
		return; /* the next overrun asks again */
	io_uring_prep_writev(sqe, l->src.fd, &l->req_iov, 1, 0);
	l->req_op.cb = query_done;
	ioeng_queue(e, sqe, &l->req_op);
	l->req_busy = true;
}

/* I/O thread: a message from the kernel (or a read's error). */
static void on_message(struct io_source *s, struct ioeng *e)
{
	struct net_link *l = container_of(s, struct net_link, src);
	int state;

	if (s->res == -ENOBUFS) {
		/* The socket overflowed: messages were lost, so ask what the state is now. */
		stat_add(&l->overruns, 1);
		query(l, e);
		return;
	}
	if (s->res == -EINTR || s->res == -EAGAIN)
		return;
	if (s->res <= 0) {
		/* A netlink socket never ends (0) or fails so: this would repeat for ever. */
		log_printf(&log_stderr, "%s: %s: cannot watch the link any more: %s", l->dev,
			   l->ifname, s->res ? strerror(-s->res) : "end of file");
		s->ended = true;
		return;
	}
	state = net_link_parse(l->buf, (size_t)s->res, l->ifindex);
	if (state >= 0)
		net_link_set(l, (enum net_link_state)state);
}

void net_link_init(struct net_link *l, const char *ifname)
{
	memset(l, 0, sizeof(*l));
	l->src.fd = -1;
	l->state = NET_LINK_UP;
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
}

void net_link_watch_fd(struct net_link *l, int fd, int ifindex)
{
	l->ifindex = ifindex;
	l->req = (struct net_link_req){
		.h = { .nlmsg_len = sizeof(l->req), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = NET_LINK_SEQ },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	l->req_iov = (struct iovec){ &l->req, sizeof(l->req) };
	l->src.fd = fd;
	l->src.kick = on_message;
	l->src.buf = l->buf;
	l->src.buf_len = sizeof(l->buf);
}

int net_link_watch(struct net_link *l, int ifindex, char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	ssize_t n;
	int state;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		if (fd >= 0)
			close(fd);
		return err_msg(rc, err, errlen, "tap:%s: cannot watch its link (rtnetlink): %s",
			       l->ifname, strerror(-rc));
	}
	net_link_watch_fd(l, fd, ifindex);
	/*
	 * Subscribed first, then asked: the kernel answers within send(), and
	 * every change after the answer follows it in the socket, so the I/O
	 * thread, reading on from here, misses none.
	 */
	if (send(fd, &l->req, sizeof(l->req), 0) < 0)
		return err_msg(-errno, err, errlen, "tap:%s: cannot ask for its link: %s",
			       l->ifname, strerror(errno));
	for (;;) {
		n = recv(fd, l->buf, sizeof(l->buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0; /* EAGAIN: all read (an overrun: the I/O thread asks again) */
		state = net_link_parse(l->buf, (size_t)n, ifindex);
		if (state >= 0)
			l->state = state;
	}
}

void net_link_close(struct net_link *l)
{
	if (l->src.fd >= 0)
		close(l->src.fd);
	l->src.fd = -1;
}

void net_link_bind(struct net_link *l, const char *dev, void (*changed)(void *ctx,
		   enum net_link_state now), void *ctx)
{
	snprintf(l->dev, sizeof(l->dev), "%s", dev);
	l->changed = changed;
	l->ctx = ctx;
	/* A tap that is down when hv starts: said once, as a change would be. */
	if (net_link_state(l) != NET_LINK_UP)
		log_printf(&log_stderr, "%s: %s %s", l->dev, l->ifname,
			   state_words[net_link_state(l)]);
}

struct io_source *net_link_source(struct net_link *l)
{
	return l->src.fd >= 0 ? &l->src : NULL;
}
