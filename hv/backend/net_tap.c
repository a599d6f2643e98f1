/*
 * The tap backend: an existing tap interface, attached with TUNSETIFF; each
 * frame is one writev or readv on its file descriptor, through io_uring,
 * straight from or into guest RAM.
 */
#include "backend/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util.h"

#define TUN_DEV "/dev/net/tun"

/* The tap's own state: its file descriptor. */
struct tap_net {
	int fd;
};

static int fd_of(const struct net *n)
{
	return ((const struct tap_net *)n->priv)->fd;
}

int net_tap_adopt(struct net *n, int fd, const char *name)
{
	struct tap_net *t;

	snprintf(n->name, sizeof(n->name), "%s", name);
	n->fault = NULL;
	if (net_link_alloc(n))
		return -ENOMEM;
	snprintf(n->link->ifname, sizeof(n->link->ifname), "%s", name);
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = fd;
	n->priv = t;
	n->ops = &net_tap_ops;
	return 0;
}

static void tap_close(struct net *n)
{
	struct tap_net *t = n->priv;

	close(t->fd);
	free(t);
}

static int tap_open(struct net *n, const struct net_spec *spec, char *err, size_t errlen)
{
	const char *ifname = spec->ifname;
	unsigned ifindex = if_nametoindex(ifname);
	struct ifreq ifr;
	int fd, rc;

	snprintf(n->name, sizeof(n->name), "%s", ifname);
	/* TUNSETIFF would create a missing interface: refuse instead, it must exist. */
	if (!ifindex)
		return err_msg(-ENODEV, err, errlen,
			       "tap:%s: no such interface (create it: ip tuntap add %s mode tap)",
			       ifname, ifname);
	fd = open(TUN_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_msg(-errno, err, errlen, "tap:%s: %scannot open %s: %s", ifname,
			       errno == EACCES || errno == EPERM ? "not permitted: " : "", TUN_DEV,
			       strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		close(fd);
		if (rc == -EPERM || rc == -EACCES)
			return err_msg(rc, err, errlen,
				       "tap:%s: not permitted (the tap's owner or CAP_NET_ADMIN may "
				       "attach it)", ifname);
		if (rc == -EINVAL)
			return err_msg(rc, err, errlen, "tap:%s: not a tap interface", ifname);
		if (rc == -EBUSY)
			return err_msg(rc, err, errlen, "tap:%s: in use by another process", ifname);
		return err_msg(rc, err, errlen, "tap:%s: cannot attach: %s", ifname,
			       strerror(-rc));
	}
	rc = net_tap_adopt(n, fd, ifname);
	if (rc) {
		close(fd);
		return err_msg(rc, err, errlen, "tap:%s: out of memory", ifname);
	}
	/* Attached first: the tap has carrier only once someone holds it. */
	return net_link_watch(n->link, (int)ifindex, err, errlen);
}

static int tap_send(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		    struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_writev(sqe, fd_of(n), iov, cnt, 0);
	ioeng_queue(e, sqe, op);
	return 0;
}

static int tap_recv(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		    struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_readv(sqe, fd_of(n), iov, cnt, 0);
	ioeng_queue_wait(e, sqe, op); /* a quiet tap: it may wait for ever */
	return 0;
}

static int tap_cancel(struct ioeng *e, struct net *n, struct ioeng_op *op)
{
	(void)n;
	return ioeng_cancel(e, op);
}

/*
 * Eight receives: each pending read on the tap is woken by every frame, so
 * more would only add wake-ups; the tap queues frames meanwhile.
 */
const struct net_ops net_tap_ops = {
	.name = "tap", .prefix = "tap:", .recv_depth = 8, .open = tap_open, .close = tap_close,
	.send = tap_send, .recv = tap_recv, .cancel = tap_cancel,
};
