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
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util.h"

#define TUN_DEV "/dev/net/tun"

int net_tap_open(struct net *n, const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc;

	snprintf(n->name, sizeof(n->name), "%s", ifname);
	/* TUNSETIFF would create a missing interface: refuse instead, it must exist. */
	if (!if_nametoindex(ifname))
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
	n->fd = fd;
	n->ops = &net_tap_ops;
	return 0;
}

static int tap_send(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		    struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_writev(sqe, n->fd, iov, cnt, 0);
	ioeng_queue(e, sqe, op);
	return 0;
}

static int tap_recv(struct ioeng *e, struct net *n, const struct iovec *iov, unsigned cnt,
		    struct ioeng_op *op)
{
	struct io_uring_sqe *sqe = ioeng_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_readv(sqe, n->fd, iov, cnt, 0);
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
const struct net_ops net_tap_ops = { "tap", 8, tap_send, tap_recv, tap_cancel };
