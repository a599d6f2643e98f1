/* NIC specs from the command line, and opening a backend (net.h). */
#include "backend/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* "02:68:76:00:00:01" -> 6 bytes; a unicast address only. */
static int parse_mac(const char *s, size_t n, uint8_t mac[6])
{
	unsigned i;

	if (n != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return mac[0] & 1 ? -EINVAL : 0; /* the group bit: not a station address */
}

/* Every backend, by its prefix. */
static const struct net_ops *const backends[] = { &net_tap_ops, &net_loop_ops };

/*
 * The backend whose prefix s[0..n) starts with: a prefix ending in ':'
 * takes a name after it, any other is the whole argument.
 */
static const struct net_ops *backend_of(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++) {
		const char *p = backends[i]->prefix;
		size_t len = strlen(p);

		if (p[len - 1] == ':' ? n > len && !strncmp(s, p, len) : n == len && !strncmp(s, p, n))
			return backends[i];
	}
	return NULL;
}

int net_parse_spec(const char *opt, const char *s, struct net_spec *spec, char *err,
		   size_t errlen)
{
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s), len;

	memset(spec, 0, sizeof(*spec));
	spec->ops = backend_of(s, n);
	if (spec->ops) {
		len = strlen(spec->ops->prefix);
		if (n - len >= IFNAMSIZ)
			return err_msg(-EINVAL, err, errlen,
				       "%s: interface name '%.*s' longer than %d bytes", opt,
				       (int)(n - len), s + len, IFNAMSIZ - 1);
		memcpy(spec->ifname, s + len, n - len);
	} else {
		return err_msg(-EINVAL, err, errlen, "%s: '%.*s' is not tap:IFNAME or loop", opt,
			       (int)n, s);
	}
	while (comma) {
		const char *opt1 = comma + 1, *next = strchr(opt1, ',');
		size_t olen = next ? (size_t)(next - opt1) : strlen(opt1);
		int rc = 1;

		if (olen > 4 && !strncmp(opt1, "mac=", 4)) {
			if (parse_mac(opt1 + 4, olen - 4, spec->mac))
				return err_msg(-EINVAL, err, errlen,
					       "%s: '%.*s' is not a unicast MAC address "
					       "(XX:XX:XX:XX:XX:XX)", opt, (int)(olen - 4), opt1 + 4);
			spec->mac_set = true;
			rc = 0;
		}
		if (rc > 0)
			rc = rate_set_parse(opt, "rx-", "pps", opt1, olen, &spec->rx, err, errlen);
		if (rc > 0)
			rc = rate_set_parse(opt, "tx-", "pps", opt1, olen, &spec->tx, err, errlen);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return err_msg(-EINVAL, err, errlen,
				       "%s: unknown option '%.*s' (mac=, rx-bps=, rx-pps=, "
				       "rx-bps-burst=, rx-pps-burst=, tx-...)", opt, (int)olen, opt1);
		comma = next;
	}
	if (rate_set_check_opt(opt, "rx-", "pps", &spec->rx, err, errlen) ||
	    rate_set_check_opt(opt, "tx-", "pps", &spec->tx, err, errlen))
		return -EINVAL;
	return 0;
}

int net_check_arg(const char *opt, const char *arg, char *err, size_t errlen)
{
	struct net_spec spec;

	return net_parse_spec(opt, arg, &spec, err, errlen);
}

int net_open(struct net *n, const struct net_spec *spec, char *err, size_t errlen)
{
	int rc;

	memset(n, 0, sizeof(*n));
	n->ops = spec->ops;
	rc = net_link_alloc(n);
	if (rc)
		return err_msg(rc, err, errlen, "%s%s: out of memory", n->ops->prefix, spec->ifname);
	rc = n->ops->open(n, spec, err, errlen);
	if (rc)
		net_close(n);
	else
		snprintf(n->link->ifname, sizeof(n->link->ifname), "%s", n->name);
	return rc;
}

int net_link_alloc(struct net *n)
{
	if (n->link)
		return 0;
	n->link = malloc(sizeof(*n->link));
	if (!n->link)
		return -ENOMEM;
	net_link_init(n->link, n->name);
	return 0;
}

void net_close(struct net *n)
{
	if (n->ops && n->ops->close && n->priv)
		n->ops->close(n);
	n->priv = NULL;
	free(n->fault);
	n->fault = NULL;
	if (n->link) {
		net_link_close(n->link);
		free(n->link);
	}
	n->link = NULL;
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
