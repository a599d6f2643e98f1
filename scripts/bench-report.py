#!/usr/bin/env python3
"""Aggregates scripts/bench.sh's raw outputs: median and spread per (path, workload),
OUT.json and a table on stdout (the chart: scripts/bench-chart.py).  Reads only the runs that
worked (failed ones were renamed *.failed by bench.sh and listed in
failures.jsonl; they go into the JSON's "failures").
usage: bench-report.py RAW_DIR OUT SECONDS REPS     (OUT: build/bench/results)"""
import glob, json, os, re, statistics, sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib

if len(sys.argv) != 5:
    sys.exit(__doc__)
raw, out, secs, reps = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
WORKLOADS = ["null-4k-qd1", "randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8",
             "randwrite-4k-qd1"]
PATHS = ["native", "loopback-pv", "loopback-pv-poll", "pv", "pv-poll", "trap", "hv-linux", "hv-linux-batch",
         "qemu-virtio", "qemu-emulated"]
NO_VM = ("native", "loopback-pv", "loopback-pv-poll")  # no vCPU, so no exits to count
# Linux guests (scripts/bench-qemu.sh): the same kernel, initramfs and jobs on
# hv's PV devices (hv-linux; hv-linux-batch under --io-batch) and on QEMU's (qemu-*).
PEERS = ("hv-linux", "hv-linux-batch", "qemu-virtio", "qemu-emulated")


def system(path):
    """Which software ran the row: hv, hv or a peer VMM with Linux, or the host alone."""
    return "native" if path == "native" else "hv-linux" if path.startswith("hv-linux") else \
        "qemu-linux" if path in PEERS else "hv"


KEYS = ["iops", "mbps", "lat_us_mean", "lat_us_p99", "exits_per_io", "hv_exits_per_io",
        "irqs_per_io", "cpu_us_per_io", "eoi_msr_per_io", "poll_us_per_io", "poll_window_us"]

failures = [json.loads(l) for l in open(os.path.join(raw, "failures.jsonl")) if l.strip()]
samples = {}  # (path, workload) -> list of dicts


def add(r):
    samples.setdefault((r["path"], r["workload"]), []).append(r)


for f in sorted(glob.glob(os.path.join(raw, "native-*.out"))):
    for r in json.load(open(f)):
        add(r)
for f in sorted(glob.glob(os.path.join(raw, "loopback-*.out"))):
    for line in open(f):
        if line.strip():
            add(json.loads(line))
GUEST_FILE = re.compile(r"^(pv-poll|pv|trap)-.+-\d+\.out$")
for f in sorted(glob.glob(os.path.join(raw, "*.out"))):
    m = GUEST_FILE.match(os.path.basename(f))
    if m:
        for r in benchlib.prefixed_json(f, "blkbench-json: "):
            r["path"] = m.group(1)  # the guest says "pv" for pv-poll too
            if r.get("kinds") is not None and r.get("ios"):
                r["kinds_per_io"] = benchlib.per_unit(r["kinds"], r["kvm_exits"], r["ios"])
                if r["kvm_irqs"] >= 0:
                    r["irqs_per_io"] = r["kvm_irqs"] / r["ios"]
            if r.get("ios"):
                # hv's guest counts its own EOIs that went by MSR (an exit) and the
                # time its PV disk driver spent polling before it halted.
                if r.get("eoi_msr") is not None:
                    r["eoi_msr_per_io"] = r["eoi_msr"] / r["ios"]
                if (r.get("poll") or {}).get("ns") is not None:
                    r["poll_us_per_io"] = r["poll"]["ns"] / 1000 / r["ios"]
                    r["poll_window_us"] = r["poll"]["window_ns"] / 1000  # where it ended
            add(r)
# Peers: one JSON object per run, figures per I/O already (scripts/bench-qemu.sh).
# The longest name first: "hv-linux" would take hv-linux-batch's files.
PEER_FILE = re.compile(r"^peer-(%s)-(.+)-\d+\.json$" % "|".join(sorted(PEERS, key=len, reverse=True)))
peer_net = []  # (path, workload, row) for the network rows below
for f in sorted(glob.glob(os.path.join(raw, "peer-*.json"))):
    m = PEER_FILE.match(os.path.basename(f))
    if m:
        r = json.load(open(f))
        for key, units in (("kinds_per_io", "exits_per_io"), ("kinds_per_frame", "exits_per_frame")):
            k = r.get(key)  # per unit already: "other" is the rest of all exits
            if k and r.get(units) is not None and "other" not in k:
                k["other"] = max(0.0, r[units] - sum(k.get(x, 0) for x in benchlib.EXIT_KINDS))
        if "qd" in r:
            add(r)
        else:
            peer_net.append(r)

results = []
for p in PATHS:
    for w in WORKLOADS:
        rs = samples.get((p, w))
        if not rs:
            continue
        o = {"system": system(p), "path": p, "workload": w, "runs": len(rs),
             "qd": rs[0].get("qd", int(w.rsplit("qd", 1)[1]))}
        o.update(benchlib.summarize(rs, KEYS))
        o["kinds_per_io"] = benchlib.summarize_kinds(rs, "kinds_per_io")
        for k in ("disk", "engine", "lat_source"):  # how a peer ran, as it says
            if rs[0].get(k):
                o[k] = rs[0][k]
        if p in NO_VM:  # null, never 0.0: there was nothing to count
            o["exits_per_io"] = o["hv_exits_per_io"] = None
        results.append(o)

cpu_native = [r for f in sorted(glob.glob(os.path.join(raw, "cpu-native-*.out")))
              for r in benchlib.prefixed_json(f, "")]
cpu_guest = [r for f in sorted(glob.glob(os.path.join(raw, "cpu-guest-*.out")))
             for r in benchlib.prefixed_json(f, "cpubench-json: ")]
ratio = None
if cpu_native and cpu_guest:
    digests = {c["digest"] for c in cpu_native + cpu_guest}
    if len(digests) != 1:
        failures.append({"path": "cpu", "workload": None, "rep": 0, "tails": {},
                         "why": "guest and host cpubench digests differ: not the same work "
                                "(%s)" % ", ".join(sorted(digests))})
    else:
        ratio = round(statistics.median(c["ns"] for c in cpu_guest) /
                      statistics.median(c["ns"] for c in cpu_native), 3)

# ---- network rows (scripts/bench-net.sh) ------------------------------------------
NET_PATHS = ["native", "pv", "pv-poll", "trap", "hv-linux", "hv-linux-batch", "qemu-virtio", "qemu-emulated"]
NET_WORKLOADS = ["tcp-h2g", "tcp-g2h", "udp-rr", "loop"]
NET_KEYS = ["mbit_s", "p50_us", "p99_us", "mean_us", "rr_per_s", "frames_per_s", "frames",
            "exits_per_frame", "hv_exits_per_frame", "irqs_per_frame", "doorbells_per_frame",
            "cpu_us_per_frame"]
NET_FILE = re.compile(r"^net-(native|pv-poll|pv|trap)-(%s)-(\d+)\.out$" % "|".join(NET_WORKLOADS))
GUEST_IPERF = re.compile(r"^iperf: .* (\d+) bytes in (\d+) ms, \d+ kbit/s, done \(client\)")
NETLOOP = re.compile(r"^netloop: .* (\d+) frames/s")
NIC_STATS = re.compile(r"pvnet\d+ \(.*\): link \w+; rx \w+, (\d+) frames, .*?, (\d+) doorbells, "
                       r".*; tx \w+, (\d+) frames, .*?, (\d+) doorbells")


def lines(path):
    try:
        return [l.strip() for l in open(path, errors="replace")]
    except OSError:
        return []


def first(path, pat):
    """The groups of PAT's first match among PATH's lines, or None."""
    for l in lines(path):
        m = pat.search(l)
        if m:
            return m.groups()
    return None


def net_sample(path, w, out):
    """One run's figures: the rate or round trip the tools measured, and for a guest
    what netcost counted over the workload and hv's doorbells per frame."""
    base, r = out[:-len(".out")], {}
    if w.startswith("tcp-"):
        if path == "native" or w == "tcp-h2g":  # the host side's iperf client, CSV
            g = first(base + (".out" if path == "native" else ".client"), benchlib.IPERF_CSV)
            if g:
                r["mbit_s"] = int(g[0]) / 1e6
        else:  # the guest's lwiperf client reports what it sent
            g = first(out, GUEST_IPERF)
            if g:
                r["mbit_s"] = int(g[0]) * 8 / int(g[1]) / 1e3
    elif w == "udp-rr":
        rr = benchlib.prefixed_json(base + (".out" if path == "native" else ".client"), "")
        if rr:
            r.update({k: rr[-1][k] for k in ("p50_us", "p99_us", "mean_us", "rr_per_s")})
    elif w == "loop":
        g = first(out, NETLOOP)
        if g:
            r["frames_per_s"] = int(g[0])
    if path == "native":
        return r
    nc = benchlib.prefixed_json(out, "netcost-json: ")
    if nc:
        c = nc[-1]
        frames = c["rx_frames"] + c["tx_frames"]
        r["frames"] = frames
        if frames:
            r["exits_per_frame"] = c["kvm_exits"] / frames if c["kvm_exits"] >= 0 else None
            r["hv_exits_per_frame"] = c["hv_exits"] / frames
            r["irqs_per_frame"] = c["kvm_irqs"] / frames if c["kvm_irqs"] >= 0 else None
            r["cpu_us_per_frame"] = c["cpu_ns"] / 1e3 / frames
            if c.get("kinds"):
                r["kinds_per_frame"] = benchlib.per_unit(c["kinds"], c["kvm_exits"], frames)
    g = first(base + ".err", NIC_STATS)  # whole run: hv's own count of frames and doorbells
    if g and int(g[0]) + int(g[2]):
        r["doorbells_per_frame"] = (int(g[1]) + int(g[3])) / (int(g[0]) + int(g[2]))
    return r


net_samples = {}
for f in sorted(glob.glob(os.path.join(raw, "net-*.out"))):
    m = NET_FILE.match(os.path.basename(f))
    if m:
        net_samples.setdefault((m.group(1), m.group(2)), []).append(net_sample(m.group(1), m.group(2), f))
for r in peer_net:
    net_samples.setdefault((r["path"], r["workload"]), []).append(r)
net_results = []
for p in NET_PATHS:
    for w in NET_WORKLOADS:
        rs = net_samples.get((p, w))
        if rs:
            o = {"system": system(p), "path": p, "workload": w, "runs": len(rs)}
            o.update(benchlib.summarize(rs, NET_KEYS))
            o["kinds_per_frame"] = benchlib.summarize_kinds(rs, "kinds_per_frame")
            if rs[0].get("nic"):
                o["nic"] = rs[0]["nic"]
            net_results.append(o)

where = benchlib.where(sorted(glob.glob(os.path.join(raw, "*.err"))))
doc = {
    "date": where["date"],
    "machine": where,
    "direct": any(r.get("direct") for rs in samples.values() for r in rs),
    "quick": os.environ.get("QUICK") == "1",
    "seconds_per_run": secs, "runs": reps,
    "cpu_bound_ratio": ratio,
    "cpu_bound": {"native_ns": [c["ns"] for c in cpu_native],
                  "guest_ns": [c["ns"] for c in cpu_guest]},
    "notes": "medians over runs; *_min/*_max the spread. loopback-*: the guest driver "
             "on a host thread against hv's real backend, no VM (hv's backend cost alone). "
             "trap runs at queue depth 1 (one command at a time). exits_per_io: all vCPU "
             "exits KVM counted; hv_exits_per_io: those that reached hv; both null for "
             "native and loopback-*, which have no vCPU. cpu_us_per_io: hv's (or the "
             "native tool's) user+system CPU time per I/O, guest time included. system: hv, "
             "qemu-linux (QEMU with Debian's kernel and fio in the guest, same KVM, same "
             "image: qemu-virtio is virtio-blk, qemu-emulated AHCI; disk/engine say how), "
             "hv-linux (the same kernel, initramfs and fio jobs on hv's PV disk and NIC "
             "through pv-drivers/linux) or native. irqs_per_io: interrupts KVM injected. kinds_per_io: KVM's exits by "
             "kind per I/O (its statistics io_exits, mmio_exits, halt_exits, irq_exits, "
             "irq_window_exits, hypercalls, signal_exits; other = the rest of all exits, "
             "e.g. MSR writes such as the x2APIC EOI; emul = instructions KVM emulated, "
             "part of exits already counted). For qemu-linux and hv-linux rows the exits of the "
             "serial-port handshake around each window (measured by an empty window) "
             "are subtracted; the VMM's CPU time is the whole process's, guest included.",
    "net_notes": "medians over runs. tcp-h2g: iperf -c from the host side into the guest "
                 "(rate as the sending iperf reports it); tcp-g2h: the guest's lwiperf client "
                 "(10 s, fixed in lwIP 2.1) into the host's iperf -s; native: the same tools "
                 "between two network namespaces over a veth pair. udp-rr: 64-byte UDP round "
                 "trips one at a time (net-rr). loop: netloop on --net loop / --trap-net loop, "
                 "frames/s each sent and received back. Per frame: over every frame the guest's "
                 "NICs moved during the workload, either way (netcost): exits_per_frame all vCPU "
                 "exits KVM counted, irqs_per_frame interrupts KVM injected, cpu_us_per_frame "
                 "hv's CPU time with the guest's; doorbells_per_frame hv's PV NIC doorbells over "
                 "hv's frames, whole run. null where it does not apply (native: no vCPU).",
    "failures": failures,
    "results": results,
    "net_results": net_results,
}
with open(out + ".json.tmp", "w") as fh:
    json.dump(doc, fh, indent=1)
os.replace(out + ".json.tmp", out + ".json")


def f(v, fmt="{:.1f}", none="-"):
    return none if v is None else fmt.format(v)


m = doc["machine"]
print("where: %s, KVM backend %s, kernel %s, %s" % (
    m["label"], m["backend"] or "not reported (no guest ran)", m["kernel"], m["cpu"]))
if results:
    print("%-16s %-18s %3s %10s %8s %9s %9s %8s %8s %8s %s" % (
        "path", "workload", "qd", "IOPS", "MB/s", "mean us", "p99 us", "exits/io", "to hv",
        "cpu us", "IOPS spread"))
for r in results:
    print("%-16s %-18s %3s %10s %8s %9s %9s %8s %8s %8s %s..%s" % (
        r["path"], r["workload"], r["qd"], f(r["iops"]), f(r["mbps"]), f(r["lat_us_mean"]),
        f(r["lat_us_p99"]), f(r["exits_per_io"], "{:.3f}", "n/a"),
        f(r["hv_exits_per_io"], "{:.3f}", "n/a"), f(r["cpu_us_per_io"], "{:.2f}"),
        f(r.get("iops_min")), f(r.get("iops_max"))))
KIND_COLS = benchlib.EXIT_KINDS + ["other", "emul"]
kinded = [r for r in results if r.get("kinds_per_io")]
if kinded:
    print("exits per I/O by kind (KVM's statistics):")
    print("%-16s %-18s %8s %8s" % ("path", "workload", "all", "irqs") +
          "".join(" %9s" % k[:9] for k in KIND_COLS))
for r in kinded:
    print("%-16s %-18s %8s %8s" % (r["path"], r["workload"], f(r["exits_per_io"], "{:.3f}"),
                                   f(r["irqs_per_io"], "{:.3f}")) +
          "".join(" %9s" % f(r["kinds_per_io"].get(k), "{:.3f}") for k in KIND_COLS))
if net_results:
    print("%-14s %-8s %9s %9s %9s %11s %9s %9s %9s %9s" % (
        "net", "workload", "Mbit/s", "p50 us", "p99 us", "frames/s", "exits/f", "irqs/f",
        "bells/f", "cpu us/f"))
for r in net_results:
    print("%-14s %-8s %9s %9s %9s %11s %9s %9s %9s %9s" % (
        r["path"], r["workload"], f(r["mbit_s"]), f(r["p50_us"]), f(r["p99_us"]),
        f(r["frames_per_s"], "{:.0f}"), f(r["exits_per_frame"], "{:.3f}"),
        f(r["irqs_per_frame"], "{:.3f}"), f(r["doorbells_per_frame"], "{:.3f}"),
        f(r["cpu_us_per_frame"], "{:.2f}")))
print("cpu-bound (SHA-256, cpubench): guest/native time ratio %s" %
      (f(ratio, "{:.3f}") if ratio else "not measured"))
for x in failures:
    print("FAILED: %s run %s: %s" % (" ".join(filter(None, [x["path"], x["workload"]])),
                                      x["rep"], x["why"]))
