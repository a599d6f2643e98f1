/*
 * iperf [-c ADDR] [--count N]: lwIP's lwiperf, compatible with iperf 2.
 * Without -c a server on port 5001 (host to guest: `iperf -c GUEST`); with
 * -c a 10-second stream to ADDR's iperf server (guest to host).  One line
 * per finished test; the server stops after N of them.
 */
#include "lib.h"
#include "lwip/apps/lwiperf.h"
#include "lwip/ip4_addr.h"
#include "netstack.h"
#include "netprog.h"
#include "programs.h"

struct iperf {
	uint64_t count, done, failed;
};

static const char *const report_names[] = {
	[LWIPERF_TCP_DONE_SERVER] = "done (server)",
	[LWIPERF_TCP_DONE_CLIENT] = "done (client)",
	[LWIPERF_TCP_ABORTED_LOCAL] = "aborted here",
	[LWIPERF_TCP_ABORTED_LOCAL_DATAERROR] = "aborted: data error",
	[LWIPERF_TCP_ABORTED_LOCAL_TXERROR] = "aborted: send error",
	[LWIPERF_TCP_ABORTED_REMOTE] = "aborted by the peer",
};

static void on_report(void *arg, enum lwiperf_report_type type, const ip_addr_t *local,
		      u16_t local_port, const ip_addr_t *remote, u16_t remote_port, u32_t bytes,
		      u32_t ms, u32_t kbit_s)
{
	struct iperf *s = arg;
	char l[24], r[24];

	netprog_peer_str(local, local_port, l, sizeof(l));
	netprog_peer_str(remote, remote_port, r, sizeof(r));
	printf("iperf: %s -> %s %u bytes in %u ms, %u kbit/s, %s\n",
	       type == LWIPERF_TCP_DONE_CLIENT ? l : r, type == LWIPERF_TCP_DONE_CLIENT ? r : l,
	       bytes, ms, kbit_s,
	       type < ARRAY_SIZE(report_names) ? report_names[type] : "unknown report");
	s->done++;
	s->failed += type != LWIPERF_TCP_DONE_SERVER && type != LWIPERF_TCP_DONE_CLIENT;
}

int cmd_iperf(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct iperf s = { 0 };
	ip_addr_t to;

	(void)bi;
	if (argc >= 3 && !strcmp(argv[1], "-c")) {
		if (argc != 3 || !ipaddr_aton(argv[2], &to)) {
			printf("usage: iperf -c ADDR\n");
			return 2;
		}
		s.count = 1;
	} else if (!netprog_server_args(argc, argv, "iperf [-c ADDR] [--count N]", NULL,
					&s.count)) {
		return 2;
	}
	if (!net_ready("iperf", NETPROG_READY_NS))
		return 1;
	if (argc >= 3 && !strcmp(argv[1], "-c")) {
		if (!lwiperf_start_tcp_client_default(&to, on_report, &s)) {
			printf("iperf: cannot connect to %s\n", argv[2]);
			return 1;
		}
	} else if (!lwiperf_start_tcp_server_default(on_report, &s)) {
		printf("iperf: cannot listen on port %u\n", LWIPERF_TCP_PORT_DEFAULT);
		return 1;
	} else {
		netprog_listening("iperf", LWIPERF_TCP_PORT_DEFAULT);
	}
	while (!s.count || s.done < s.count)
		net_wait(UINT64_MAX);
	net_drain(NETPROG_DRAIN_NS);
	return s.failed ? 1 : 0;
}
