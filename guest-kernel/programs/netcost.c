/*
 * netcost PROG ARGS...: runs a network program and prints what its traffic
 * cost, for the benchmarks: frames and bytes every NIC moved meanwhile, the
 * exits KVM and hv counted, the interrupts KVM injected and those the NICs'
 * drivers took, hv's CPU time, on one line "netcost-json: {...}" (raw
 * counts; the caller divides; -1 for a count hv cannot read).
 * Counted from after boot (the clock is calibrated first), so a run's fixed
 * costs stay out of its figures.
 */
#include "apic.h"
#include "exitspan.h"
#include "lib.h"
#include "netdev.h"
#include "programs.h"
#include "tsc.h"

/* The counters of every NIC, summed. */
static struct netdev_stats all_nics(void)
{
	struct netdev_stats t = { 0 };
	struct netdev *d;

	for (d = netdev_next(NULL); d; d = netdev_next(d)) {
		t.rx_frames += d->st.rx_frames;
		t.rx_bytes += d->st.rx_bytes;
		t.rx_dropped += d->st.rx_dropped;
		t.tx_frames += d->st.tx_frames;
		t.tx_bytes += d->st.tx_bytes;
		t.tx_errors += d->st.tx_errors;
		t.irqs += d->st.irqs;
	}
	return t;
}

int cmd_netcost(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct hv_exit_count e0;
	struct exit_span x;
	struct netdev_stats s0, s1;
	uint64_t t0, t1, per_us;
	char kinds[256];
	int status;

	if (argc < 2 || !strcmp(argv[1], "netcost")) {
		printf("usage: netcost PROG ARGS...   (a network program: iperf, udpecho, netloop...)\n");
		return 2;
	}
	per_us = tsc_ticks_per_us(); /* calibrates now, not inside the measurement */
	apic_ticks_per_us();          /* the LAPIC timer's too (blkbench.c) */
	s0 = all_nics();
	exit_span_begin(&e0);
	t0 = rdtsc();
	status = programs_run(bi, argc - 1, argv + 1);
	t1 = rdtsc();
	exit_span_end(&e0, &x);
	s1 = all_nics();
	exit_span_kinds_json(&x, kinds, sizeof(kinds));
	printf("netcost-json: {\"prog\":\"%s\",\"status\":%d,\"ns\":%lu,\"rx_frames\":%lu,"
	       "\"tx_frames\":%lu,\"rx_bytes\":%lu,\"tx_bytes\":%lu,\"rx_dropped\":%lu,"
	       "\"tx_errors\":%lu,\"nic_irqs\":%lu,\"kvm_irqs\":%ld,\"kvm_exits\":%ld,"
	       "\"hv_exits\":%lu,\"cpu_ns\":%lu,\"kinds\":%s}\n",
	       argv[1], status, tsc_to_ns(t1 - t0, per_us), s1.rx_frames - s0.rx_frames,
	       s1.tx_frames - s0.tx_frames, s1.rx_bytes - s0.rx_bytes, s1.tx_bytes - s0.tx_bytes,
	       s1.rx_dropped - s0.rx_dropped, s1.tx_errors - s0.tx_errors, s1.irqs - s0.irqs,
	       (long)x.kvm_irqs, (long)x.kvm_exits, x.hv_exits, x.cpu_ns, kinds);
	return status;
}
