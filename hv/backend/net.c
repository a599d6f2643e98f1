/* NIC specs from the command line, and opening a backend (net.h). */
#include "backend/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "02:68:76:00:00:01" -> 6 bytes; a unicast address only. */
static int parse_mac(const char *s, size_t n, uint8_t mac[6])
{
	unsigned i;

	if (n != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hexdigit(s[3 * i]), lo = hexdigit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return mac[0] & 1 ? -EINVAL : 0; /* the group bit: not a station address */
}

int net_parse_spec(const char *opt, const char *s, struct net_spec *spec, char *err,
		   size_t errlen)
{
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);

	memset(spec, 0, sizeof(*spec));
	if (n == 4 && !strncmp(s, "loop", 4)) {
		spec->loop = true;
	} else if (n > 4 && !strncmp(s, "tap:", 4)) {
		if (n - 4 >= IFNAMSIZ)
			return err_msg(-EINVAL, err, errlen,
				       "%s: interface name '%.*s' longer than %d bytes", opt,
				       (int)(n - 4), s + 4, IFNAMSIZ - 1);
		memcpy(spec->ifname, s + 4, n - 4);
	} else {
		return err_msg(-EINVAL, err, errlen, "%s: '%.*s' is not tap:IFNAME or loop", opt,
			       (int)n, s);
	}
	if (!comma)
		return 0;
	if (strncmp(comma + 1, "mac=", 4) || strchr(comma + 1, ','))
		return err_msg(-EINVAL, err, errlen, "%s: unknown option '%s' (only mac=)", opt,
			       comma + 1);
	if (parse_mac(comma + 5, strlen(comma + 5), spec->mac))
		return err_msg(-EINVAL, err, errlen,
			       "%s: '%s' is not a unicast MAC address (XX:XX:XX:XX:XX:XX)", opt,
			       comma + 5);
	spec->mac_set = true;
	return 0;
}

int net_check_arg(const char *opt, const char *arg, char *err, size_t errlen)
{
	struct net_spec spec;

	return net_parse_spec(opt, arg, &spec, err, errlen);
}

int net_open(struct net *n, const struct net_spec *spec, char *err, size_t errlen)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (spec->loop) {
		n->ops = &net_loop_ops;
		snprintf(n->name, sizeof(n->name), "loop");
		return 0;
	}
	return net_tap_open(n, spec->ifname, err, errlen);
}

void net_close(struct net *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	for (; n->nr_queued; n->nr_queued--) {
		free(n->queued[n->q_head].data);
		n->q_head = (n->q_head + 1) % NET_LOOP_QUEUED;
	}
}

bool net_gone(int res)
{
	/*
	 * A deleted tap: the fd is detached (EBADFD) or its device went away.
	 * Not EIO: a tap that is only set down refuses writes with EIO and takes
	 * them again once up, so that is a failed send, not a lost link.
	 */
	return res == -EBADFD || res == -ENODEV || res == -ENXIO;
}

void net_spec_mac(const struct net_spec *spec, unsigned kind, unsigned index, uint8_t mac[6])
{
	const uint8_t m[6] = { 0x02, 0x68, 0x76, 0x00, (uint8_t)kind, (uint8_t)index };

	memcpy(mac, spec->mac_set ? spec->mac : m, 6);
}
