/*
 * The kernel parameters ip=, gw= and net= (netstack.h): a static address or
 * DHCP on one NIC, which also becomes lwIP's default route.
 */
#include "boot_args.h"
#include "lib.h"
#include "lwip/dhcp.h"
#include "lwip/ip4_addr.h"
#include "netstack.h"
#include "netdev.h"

static struct {
	struct netdev *d;
	bool dhcp;
} cfg;

/* "A.B.C.D/P" into addr and mask; false if malformed. */
static bool parse_cidr(const char *s, ip4_addr_t *addr, ip4_addr_t *mask)
{
	char buf[24];
	uint64_t prefix;
	size_t i;

	for (i = 0; s[i] && s[i] != '/' && i < sizeof(buf) - 1; i++)
		buf[i] = s[i];
	buf[i] = '\0';
	if (s[i] != '/' || !ip4addr_aton(buf, addr) || parse_u64(s + i + 1, &prefix) ||
	    prefix > 32)
		return false;
	ip4_addr_set_u32(mask, prefix ? lwip_htonl(0xffffffffu << (32 - prefix)) : 0);
	return true;
}

void net_addr_str(const struct netdev *d, char *buf, unsigned len)
{
	const struct netif *n = &d->netif;
	uint32_t mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n)));
	char a[16], g[16];
	unsigned prefix = 0;

	if (ip4_addr_isany_val(*netif_ip4_addr(n))) {
		snprintf(buf, len, "none");
		return;
	}
	while (prefix < 32 && (mask << prefix) & 0x80000000u)
		prefix++;
	ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof(a));
	ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof(g));
	snprintf(buf, len, "%s/%u gw %s", a, prefix, g);
}

/* "net: pvnet0 10.0.0.2/24 gw 10.0.0.1 (static)" */
static void print_address(const char *how)
{
	char a[48];

	net_addr_str(cfg.d, a, sizeof(a));
	printf("net: %s %s (%s)\n", cfg.d->name, a, how);
}

void net_configure(const struct boot_args *b)
{
	const char *ip = boot_args_param(b, "ip"), *gw = boot_args_param(b, "gw");
	const char *which = boot_args_param(b, "net");
	struct netdev *d = which ? netdev_find(which) : netdev_next(NULL);
	ip4_addr_t addr, mask, gwaddr;

	if (!ip) {
		if (gw || which)
			printf("net: gw= and net= need ip=ADDR/PREFIX or ip=dhcp\n");
		return;
	}
	if (!d) {
		if (which)
			printf("net: net=%s: no such NIC (see netinfo)\n", which);
		else
			printf("net: ip=%s: no NIC (hv run --net ...)\n", ip);
		return;
	}
	if (!strcmp(ip, "dhcp")) {
		if (gw)
			printf("net: gw=%s ignored: DHCP gives the gateway\n", gw);
		cfg.d = d;
		cfg.dhcp = true;
		netif_set_default(&d->netif);
		if (dhcp_start(&d->netif) != ERR_OK)
			printf("net: %s: DHCP did not start (out of memory)\n", d->name);
		return;
	}
	ip4_addr_set_zero(&gwaddr);
	if (!parse_cidr(ip, &addr, &mask) || (gw && !ip4addr_aton(gw, &gwaddr))) {
		printf("net: ip=%s%s%s: expected ip=ADDR/PREFIX [gw=ADDR] or ip=dhcp\n", ip,
		       gw ? " gw=" : "", gw ? gw : "");
		return;
	}
	cfg.d = d;
	netif_set_addr(&d->netif, &addr, &mask, &gwaddr);
	netif_set_default(&d->netif);
	print_address("static");
}

struct netdev *net_configured(void)
{
	return cfg.d;
}

bool net_ready(const char *prog, uint64_t timeout_ns)
{
	uint64_t deadline = net_now_ns() + timeout_ns;

	if (!cfg.d) {
		printf("%s: no address: boot with ip=ADDR/PREFIX [gw=ADDR] or ip=dhcp "
		       "(and net=NIC)\n", prog);
		return false;
	}
	if (!cfg.dhcp)
		return true;
	while (!dhcp_supplied_address(&cfg.d->netif) && net_now_ns() < deadline)
		net_wait(deadline);
	if (!dhcp_supplied_address(&cfg.d->netif)) {
		printf("%s: %s: no DHCP lease after %lu s\n", prog, cfg.d->name,
		       timeout_ns / 1000000000);
		return false;
	}
	print_address("dhcp");
	return true;
}
