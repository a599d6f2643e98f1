/* netinfo: every NIC's address, link, driver and counters, three lines each. */
#include "lib.h"
#include "netstack.h"
#include "netdev.h"
#include "programs.h"

int cmd_netinfo(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct netdev *d;
	char mac[18], info[128], addr[48];

	(void)bi, (void)argc, (void)argv;
	if (!netdev_next(NULL))
		printf("netinfo: no NICs (hv run --net ... or --trap-net ...)\n");
	for (d = netdev_next(NULL); d; d = netdev_next(d)) {
		netdev_mac_str(d->mac, mac);
		d->ops->info(d, info, sizeof(info));
		net_addr_str(d, addr, sizeof(addr));
		printf("%s: mac %s, mtu %u, link %s, path %s (%s)\n", d->name, mac, d->mtu,
		       d->ops->link_up(d) ? "up" : "down", d->path, info);
		printf("%s: inet %s%s\n", d->name, addr, d == net_configured() ? " (default)" : "");
		printf("%s: rx %lu frames %lu bytes %lu dropped, tx %lu frames %lu bytes %lu errors, "
		       "%lu interrupts\n", d->name, d->st.rx_frames, d->st.rx_bytes,
		       d->st.rx_dropped, d->st.tx_frames, d->st.tx_bytes, d->st.tx_errors,
		       d->st.irqs);
	}
	return 0;
}
