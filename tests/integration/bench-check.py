#!/usr/bin/env python3
"""Sanity of make bench's results.json, for the integration tests (speed is not
asserted, only that the figures exist and mean something):
  bench-check.py [--file RESULTS.json] PATH...
  bench-check.py --native NATIVE.json   (native-blkbench --json: 4 workloads, IOPS > 0)
PATH: the rows that must be there (native, loopback-pv, loopback-pv-poll, pv,
pv-poll, trap; net: the network rows).  Checks: where it ran is recorded; no run failed; each PATH has
at least 4 workloads with positive IOPS, MB/s and latency; native and loopback
rows have null exits (they have no vCPU: nothing to count, so never 0.0); guest
rows have exits_per_io > 0 and hv_exits_per_io >= 0 (a PV doorbell is handled
inside KVM, so none may reach hv); with pv and trap, trap takes more exits per
I/O than pv at randread-4k-qd1; the CPU-bound ratio is positive.  net: native, pv, pv-poll and trap each
have tcp-h2g and tcp-g2h rows with a positive Mbit/s and a udp-rr row with
p50 <= p99; the guest paths a loop row with frames/s, and every guest row
positive frames, exits, CPU per frame and counted interrupts; PV rows
doorbells per frame; the trap NIC more exits per frame than pv on loop.
peers: qemu-virtio and qemu-emulated (QEMU + Linux) each have the 4 file
workloads with positive IOPS, latency and exits per I/O (CPU positive or
not resolved), system
"qemu-linux" and exits by kind; AHCI sends more MMIO exits per I/O out to
QEMU than virtio-blk at randread-4k-qd1; each has tcp-h2g, tcp-g2h and udp-rr
rows with a rate or round trip and positive exits per frame.  Guest rows of
hv (system "hv") carry exits by kind too.  Exit status 1
and one line on stderr saying what is wrong (the last line is the reason)."""
import json, sys

NO_VM = {"native", "loopback-pv", "loopback-pv-poll"}
PEERS = ("qemu-virtio", "qemu-emulated")
PEER_WORKLOADS = ("randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8", "randwrite-4k-qd1")
GUEST = {"pv", "pv-poll", "trap"}
KEYS = ["iops", "mbps", "lat_us_mean", "lat_us_p99", "cpu_us_per_io"]


def check_net(d):
    rows = {(r["path"], r["workload"]): r for r in d.get("net_results", [])}
    for p in ("native", "pv", "pv-poll", "trap"):
        for w in ("tcp-h2g", "tcp-g2h", "udp-rr") + (("loop",) if p != "native" else ()):
            r = rows.get((p, w))
            assert r, "no net row %s %s" % (p, w)
            what = "net %s %s" % (p, w)
            if w.startswith("tcp-"):
                assert (r.get("mbit_s") or 0) > 0, "%s: mbit_s %r" % (what, r.get("mbit_s"))
            elif w == "udp-rr":
                assert 0 < r["p50_us"] <= r["p99_us"], "%s: p50 %r p99 %r" % (
                    what, r.get("p50_us"), r.get("p99_us"))
            else:
                assert (r.get("frames_per_s") or 0) > 0, "%s: frames_per_s %r" % (
                    what, r.get("frames_per_s"))
            if p == "native":
                continue
            for k in ("frames", "exits_per_frame", "cpu_us_per_frame"):
                assert (r.get(k) or 0) > 0, "%s: %s %r, want > 0" % (what, k, r.get(k))
            assert r.get("irqs_per_frame") is not None, "%s: no irqs_per_frame" % what
            if p.startswith("pv"):
                assert r.get("doorbells_per_frame") is not None, "%s: no doorbells" % what
    t, v = rows[("trap", "loop")]["exits_per_frame"], rows[("pv", "loop")]["exits_per_frame"]
    assert t > v, "loop: trap exits_per_frame %s not above pv's %s" % (t, v)


def check_peers(d):
    rows = {(r["path"], r["workload"]): r for r in d["results"]}
    for p in PEERS:
        for w in PEER_WORKLOADS:
            r, what = rows.get((p, w)), "%s %s" % (p, w)
            assert r, "no row %s" % what
            assert r.get("system") == "qemu-linux", "%s: system %r" % (what, r.get("system"))
            for k in ["iops", "mbps", "lat_us_mean", "lat_us_p99", "exits_per_io", "irqs_per_io"]:
                assert (r.get(k) or 0) > 0, "%s: %s %r, want > 0" % (what, k, r.get(k))
            # QEMU's CPU time has 10 ms ticks: a short run may not resolve it (null), never 0.
            assert r.get("cpu_us_per_io") is None or r["cpu_us_per_io"] > 0, \
                "%s: cpu_us_per_io %r" % (what, r.get("cpu_us_per_io"))
            kinds = r.get("kinds_per_io") or {}
            for k in ("io", "mmio", "halt", "other"):
                assert k in kinds, "%s: no %r in kinds_per_io %r" % (what, k, kinds)
    w = "randread-4k-qd1"
    a, v = rows[("qemu-emulated", w)]["kinds_per_io"]["mmio"], rows[("qemu-virtio", w)]["kinds_per_io"]["mmio"]
    assert a > v, "%s: AHCI's MMIO exits per I/O %s not above virtio-blk's %s" % (w, a, v)
    nrows = {(r["path"], r["workload"]): r for r in d.get("net_results", [])}
    for p in PEERS:
        for w in ("tcp-h2g", "tcp-g2h", "udp-rr"):
            r, what = nrows.get((p, w)), "net %s %s" % (p, w)
            assert r, "no row %s" % what
            assert (r.get("mbit_s") or r.get("p50_us") or 0) > 0, "%s: no rate or round trip" % what
            assert (r.get("exits_per_frame") or 0) > 0, "%s: exits_per_frame %r" % (what, r.get("exits_per_frame"))
    for r in d["results"]:
        if r["path"] in GUEST:
            assert r.get("system") == "hv" and r.get("kinds_per_io"), \
                "%s %s: system %r, kinds_per_io %r" % (r["path"], r["workload"], r.get("system"),
                                                      r.get("kinds_per_io"))


def check(d, paths):
    for k in ("date", "machine", "results", "failures", "cpu_bound_ratio"):
        assert k in d, "no top-level key %r" % k
    for k in ("backend", "testvm", "kernel", "cpu", "date"):
        assert k in d["machine"], "machine: no %r (where it ran)" % k
    if d["failures"]:
        x = d["failures"][0]
        raise AssertionError("%d failed run(s), first: %s %s run %s: %s" % (
            len(d["failures"]), x.get("path"), x.get("workload") or "", x.get("rep"), x.get("why")))
    rows = {(r["path"], r["workload"]): r for r in d["results"]}
    if "net" in paths:
        check_net(d)
        paths = [p for p in paths if p != "net"]
    if "peers" in paths:
        check_peers(d)
        paths = [p for p in paths if p != "peers"]
    for p in paths:
        assert p in NO_VM | GUEST, "unknown path %r" % p
        mine = [r for (q, _), r in rows.items() if q == p]
        assert len(mine) >= 4, "too few rows for %s: %d" % (p, len(mine))
        for r in mine:
            what = "%s %s" % (p, r["workload"])
            for k in KEYS:
                assert r.get(k) is not None, "%s: no %s" % (what, k)
            assert r["iops"] > 0 and r["mbps"] > 0 and r["lat_us_mean"] > 0, "%s: %r" % (what, r)
            for k in ("exits_per_io", "hv_exits_per_io"):
                assert k in r, "%s: no %s key" % (what, k)
            if p in NO_VM:
                assert r["exits_per_io"] is None and r["hv_exits_per_io"] is None, \
                    "%s: exits must be null without a VM, not %r/%r" % (
                        what, r["exits_per_io"], r["hv_exits_per_io"])
            else:
                assert r["exits_per_io"] is not None and r["exits_per_io"] > 0, \
                    "%s: exits_per_io %r, want > 0" % (what, r["exits_per_io"])
                assert r["hv_exits_per_io"] is not None and r["hv_exits_per_io"] >= 0, \
                    "%s: hv_exits_per_io %r, want >= 0" % (what, r["hv_exits_per_io"])
    if "trap" in paths and "pv" in paths:
        w = "randread-4k-qd1"
        t, v = rows[("trap", w)]["exits_per_io"], rows[("pv", w)]["exits_per_io"]
        assert t > v, "%s: trap exits_per_io %s not above pv's %s" % (w, t, v)
    if GUEST & set(paths):
        r = d["cpu_bound_ratio"]
        assert r is not None and r > 0, "cpu_bound_ratio %r, want > 0" % r


def main(argv):
    path = "build/bench/results.json"
    if argv[:1] == ["--native"] and len(argv) == 2:
        try:  # native-blkbench --json: its 4 workloads, each with positive IOPS
            r = json.load(open(argv[1]))
            assert len(r) == 4 and all(x["iops"] > 0 for x in r), "not 4 workloads with positive IOPS"
        except (OSError, ValueError, KeyError, TypeError, AssertionError) as e:
            print("bench-check: %s: %s" % (argv[1], e), file=sys.stderr)
            return 1
        return 0
    if argv[:1] == ["--file"] and len(argv) >= 2:
        path, argv = argv[1], argv[2:]
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    try:
        check(json.load(open(path)), argv)
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as e:
        print("bench-check: %s: %s" % (path, e or type(e).__name__), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
