#!/usr/bin/env python3
"""Copies measured figures into README.md, BENCHMARKS.md and SECURITY.md: the
text between <!-- generated:NAME begin --> and <!-- generated:NAME end --> is
replaced by tables rendered from the files the measuring scripts wrote.  This
is the only writer of those blocks; no figure in them is typed by hand.

  NAME     from
  testvm   build/testvm/last-run.json (scripts/testvm/run.sh), build/test-times.json (make test)
  boot     build/bench/boot.json      (make bench-boot)
  bench    build/bench/results.json   (make bench)
  net      build/bench/results.json   (make bench: its network rows)
  peers    build/bench/results.json   (make bench: hv beside QEMU + Linux, same run)
  exits    build/bench/results.json   (one 4 KiB read, exit by exit) and the published
           per-exit costs in scripts/exit-costs.json (a model, labelled as one)
  io-poll  build/bench/iopoll.json    (scripts/bench-iopoll.sh)
  ratelimit build/bench/ratelimit.json (scripts/bench-ratelimit.sh; in docs/RATELIMIT.md)
  linux-boot build/linux/boot.json    (scripts/linux/measure-boot.sh: Linux's boot, hv beside QEMU)
  snapshot build/bench/snapshot.json (scripts/bench-snapshot.sh: restore at 64 MiB and 1 GiB,
           phases against a cold boot, the first 100 reads after a restore)
  snapshot-linux build/snapshot/linux-tests.json (scripts/snapshot-linux-times.sh: the Linux
           tests booting each time against starting from a restored snapshot)
  fuzz     build/fuzz/results.json    (make fuzz), tests/fuzz/FINDINGS (crashes fixed)
  io-batch build/bench/linux-batch.json (make bench-linux-batch)
  two-cpus build/bench/twocpu.json    (make bench-2cpu: hv's guest, test host VM of two CPUs)

  summary-bench, summary-peers, summary-net (README.md): the side-by-side table
           of bench, peers (with its aims line) and net, with their source
           and a link to the full block in BENCHMARKS.md

Every table names its file, its date and where it ran.  When none of a
block's files exists (a fresh clone), the block keeps what an earlier run
wrote, and the script says so; an empty block says "not measured".  Every
row a script produced is shown.
usage: scripts/readme-figures.py [--check] [--only NAME]...
  --check  change nothing; exit 1 if a block differs from the files
  --only   render only the named blocks (the others are left as they are)"""
import json, os, re, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402  (EXIT_KINDS: the exit kinds make bench counts)

LAST_RUN, TEST_TIMES = "build/testvm/last-run.json", "build/test-times.json"
BOOT, RESULTS, IOPOLL = "build/bench/boot.json", "build/bench/results.json", "build/bench/iopoll.json"
LINUX_BOOT = "build/linux/boot.json"
RATELIMIT = "build/bench/ratelimit.json"
SNAP_LINUX = "build/snapshot/linux-tests.json"
SNAP_BENCH = "build/bench/snapshot.json"
IO_BATCH = "build/bench/linux-batch.json"  # make bench-linux-batch
TWO_CPUS = "build/bench/twocpu.json"  # make bench-2cpu
FUZZ, FINDINGS = "build/fuzz/results.json", "tests/fuzz/FINDINGS"
COSTS = "scripts/exit-costs.json"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def num(v, fmt="{:.1f}", none="n/a"):
    return none if v is None else fmt.format(v)


def ratio(a, b):
    return num(ratio_of(a, b), "{:.2f}x")


WORKLOADS = ["null-4k-qd1", "randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8",
             "randwrite-4k-qd1"]


def order(w):
    """Workloads in blkbench's order; any other after them, by name."""
    return (WORKLOADS.index(w), "") if w in WORKLOADS else (len(WORKLOADS), w)


def where(m):
    """One phrase: where a measurement ran (benchlib.where's object)."""
    load = m.get("host_load")
    return "%s; KVM backend %s; kernel %s; CPU %s%s" % (
        m.get("label") or ("test host VM" if m.get("testvm") else "this machine"),
        m.get("backend") or "not reported", m.get("kernel"), m.get("cpu"),
        "; host load average %.1f (max %.1f) on %d CPUs while it ran" % (
            load["mean"], load["max"], load["cpus"]) if load else "")


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def lookup(rows):
    """get(path, workload, key) over rows keyed by path and workload: None where absent."""
    by = {(r["path"], r["workload"]): r for r in rows}
    return lambda p, w, k: (by.get((p, w)) or {}).get(k)


def verdict(misses):
    """An aim's verdict, from the workloads that missed it."""
    return "**met**" if not misses else "**not met** (%s)" % ", ".join(misses)


def not_measured(path, how):
    return ["Not measured: `%s` does not exist (%s, then `scripts/readme-figures.py`)." % (path, how)]


def failures(fs):
    if not fs:
        return []
    out = ["", "**Failed runs** (%d; their figures are not in the tables above):" % len(fs), ""]
    for x in fs:
        out.append("* %s run %s: %s" % (" ".join(filter(None, [x.get("path"), x.get("workload")])),
                                        x.get("rep"), x.get("why")))
    return out


HV_BIN = "build/hv"


def block_cli():
    """hv's --help, verbatim: the README's CLI cannot drift from the binary."""
    r = subprocess.run([HV_BIN, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or not r.stdout.startswith("usage:"):
        sys.exit("readme-figures: %s --help failed (status %d)" % (HV_BIN, r.returncode))
    return ["```"] + r.stdout.rstrip("\n").split("\n") + ["```"]


def block_testvm():
    tt = load(TEST_TIMES)
    # make test keeps its own run's VM boot; otherwise the latest VM run.
    run, src = ((tt["testvm"], TEST_TIMES + " (testvm)") if tt and tt.get("testvm")
                else (load(LAST_RUN), LAST_RUN))
    rows = []
    if run:
        rows.append(["test host VM boot: QEMU start to the payload's first command",
                     num(run.get("qemu_start_to_payload_s"), "{:.1f} s"), "`%s`" % src,
                     run.get("date"), "QEMU TCG on the machine that ran it"])
    else:
        rows.append(["test host VM boot: QEMU start to the payload's first command",
                     "not measured", "`%s` missing" % LAST_RUN, "", ""])
    if tt:
        rows.append(["whole `make test` (%s passed, %s failed, %s skipped)" % (
                     tt.get("passed"), tt.get("failed"), tt.get("skipped")),
                     num(tt.get("seconds"), "{:.0f} s"), "`%s`" % TEST_TIMES, tt.get("date"),
                     "integration tests %s: %s" % (
                         "in the test host VM" if tt.get("where") == "vm" else "on this machine",
                         tt.get("why"))])
    else:
        rows.append(["whole `make test`", "not measured", "`%s` missing" % TEST_TIMES, "", ""])
    return table(["measure", "time", "file", "date", "where"], rows)


def block_boot():
    d = load(BOOT)
    if not d:
        return not_measured(BOOT, "run `make bench-boot`")
    rows = []
    for m in d["measurements"]:
        w = m["where"]
        if "error" in m:
            rows.append([where(w), w.get("date"), m.get("runs"), "failed: " + m["error"]]
                        + [""] * 5)
            continue
        rows.append([where(w), w.get("date"), m["runs"], num(m["wall_us_median"] / 1e3, "{:.1f}"),
                     num(m["wall_us_min"] / 1e3), num(m["wall_us_max"] / 1e3),
                     m.get("rss_kib", "not measured"), m["peak_rss_kib"],
                     m["guest_resident_kib"], m["hv_own_kib"]])
    return ["From `%s`: wall time of `hv run build/guest-kernel.elf -- hello` and hv's "
            "memory at its end (one more boot, `--stats`): its RSS, the peak (the kernel's "
            "file pages while they are copied in), the guest RAM the guest touched, and hv's "
            "own (RSS less guest RAM)." % BOOT, ""] + table(
        ["where", "date", "runs", "median ms", "min ms", "max ms", "RSS KiB", "peak RSS KiB",
         "guest RAM touched KiB", "hv's own KiB"], rows)


def block_linux_boot():
    d = load(LINUX_BOOT)
    if not d:
        return not_measured(LINUX_BOOT, "run `scripts/linux/measure-boot.sh RUNS`")
    date = d.get("date") or time.strftime("written %Y-%m-%dT%H:%M:%SZ",
                                          time.gmtime(os.path.getmtime(LINUX_BOOT)))
    med = d["to_init_median_ms"]
    rss = d.get("hv_rss_beyond_guest_ram_kib") or []
    rows = [["hv (PVH entry)", "{:,}".format(med["hv"]), " ".join(map(str, d["to_init_ms"]["hv"]))],
            ["QEMU `-M microvm,acpi=off -accel kvm`", "{:,}".format(med["qemu"]),
             " ".join(map(str, d["to_init_ms"]["qemu"]))],
            ["hv / QEMU", "{:.3f}".format(d["hv_over_qemu"]), ""]]
    return ["From `%s` (%s; %s; %d run%s each, `--mem %s`, `%s`): time from the process's "
            "start to Linux's `/init`, the same kernel and initramfs on both, one after the "
            "other in one run; absolute times are the emulator's, compare the ratio." % (
                LINUX_BOOT, date, d.get("where"), d["runs"], "" if d["runs"] == 1 else "s",
                d.get("mem"), d.get("cmdline")), ""] + table(
        ["VMM", "median ms to /init", "each run, ms"], rows) + [
        "", "hv's own resident memory beyond guest RAM after Linux ran (`--stats`: its RSS "
        "at the end less the guest RAM Linux touched): %s KiB." % (
            " / ".join(map(str, rss)) if rss else "not measured")]


def block_snapshot():
    d = load(SNAP_BENCH)
    if not d:
        return not_measured(SNAP_BENCH, "run `scripts/bench-snapshot.sh`")
    rows = []
    for z in d["sizes"]:
        c, rp, bp = z["create"], z["restore_phases_ms"] or {}, z["boot_phases_ms"] or {}
        rows.append([z["mem"], num(z["cold_boot_to_first_output_ms"]["median"]),
                     num(z["restore_to_first_output_ms"]["median"]),
                     "%s..%s" % (num(z["restore_to_first_output_ms"]["min"]),
                                 num(z["restore_to_first_output_ms"]["max"])),
                     num(bp.get("total")), num(rp.get("total")),
                     ", ".join("%s %s" % (k, num(v)) for k, v in rp.items() if k != "total"),
                     "%s / %s" % (num(c["create_ms_hv"]), num(c["create_wall_ms"])),
                     "%.1f of %.1f" % (c["mem_file_allocated_bytes"] / 2**20, c["mem_file_bytes"] / 2**20)])
    r, io = d["restore_ratio_1g_over_64m"], d["first_100_reads"]
    w, a = io["warm_vm"], io["after_restore"]
    out = ["From `%s` (%s; %s): %d runs per size, medians (min..max); times from hv's exec to the "
           "guest's first output line, and hv's own phases (`--verbose`). Emulator times: compare "
           "within the table. Anchor: %s." % (SNAP_BENCH, d["date"], d["where"], d["runs"], d["anchor"]),
           ""] + table(["guest RAM", "cold boot ms", "restore ms", "restore min..max",
                        "hv boot phases ms", "hv restore phases ms", "restore phases (ms)",
                        "snapshot create ms (hv / wall)", "RAM file MiB (allocated of size)"], rows)
    out += ["", "Restore, 1 GiB over 64 MiB: %.2fx to the first output, %.2fx in hv's phases "
            "(the aim: within 1.2x)." % (r["to_first_output"], r["hv_phases"]), "",
            "The guest's first %d reads of 4 KiB (`snapio`), medians of %d runs:" % (w["reads"], io["runs"]),
            ""] + table(["VM", "first read µs", "median µs", "max µs", "all %d reads µs" % w["reads"]],
                        [["warm (booted, then read)", num(w["first_us"]), num(w["median_us"]),
                          num(w["max_us"]), num(w["total_us"])],
                         ["just restored", num(a["first_us"]), num(a["median_us"]), num(a["max_us"]),
                          num(a["total_us"])],
                         ["restored / warm", "%.2fx" % io["first_ratio"], "", "",
                          "%.2fx" % io["total_ratio"]]])
    return out


def block_snapshot_linux():
    d = load(SNAP_LINUX)
    if not d:
        return not_measured(SNAP_LINUX, "run `scripts/snapshot-linux-times.sh`")
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(SNAP_LINUX)))
    rows = []
    for f in d["totals_over"]:
        v = d["features"][f]
        b, n = v["boot_each_time"], v["from_snapshot"]
        rows.append(["`%s`" % f, "%d s (%d passed, %d failed)" % (b["seconds"], b["passed"], b["failed"]),
                     "%d s (%d passed, %d failed)" % (n["seconds"], n["passed"], n["failed"]),
                     "{:.2f}".format(n["seconds"] / b["seconds"])])
    tb, tn = d["total_boot_each_time_s"], d["total_from_snapshot_s"]
    rows.append(["both", "%d s" % tb, "%d s" % tn, "{:.2f}".format(tn / tb)])
    return ["From `%s` (written %s; %s; host load %s): each feature alone, with the test "
            "scripts of %s (a boot each time) and with this tree's (restores of one snapshot of "
            "the first boot), same hv." % (SNAP_LINUX, date, d["where"], d["host_load_average"],
                                             d["base_scripts"]), ""] + table(
        ["feature", "boot each time", "from a snapshot", "ratio"], rows)


def block_bench():
    d = load(RESULTS)
    if not d:
        return not_measured(RESULTS, "run `make bench`")
    m, rs = d["machine"], d["results"]
    out = ["From `%s` (%s; %s): `make bench%s`, %d runs of %g s per (path, workload), "
           "medians, IOPS spread min..max; %s I/O. Exits per I/O are counts, the same on "
           "any machine; times are %s." % (
               RESULTS, d["date"], where(m), " QUICK=1" if d.get("quick") else "", d["runs"],
               d["seconds_per_run"], "O_DIRECT" if d.get("direct") else "buffered",
               "emulator times: compare them within this table" if m.get("testvm")
               else "this machine's"), ""]
    out += table(["system", "path", "workload", "qd", "IOPS", "MB/s", "mean µs", "p99 µs",
                  "exits/I/O", "to hv/I/O", "irqs/I/O", "cpu µs/I/O", "guest poll µs/I/O",
                  "IOPS spread"],
                 [[r.get("system", "hv"), r["path"], r["workload"], r["qd"],
                   num(r["iops"], "{:.0f}"), num(r["mbps"]), num(r["lat_us_mean"]),
                   num(r["lat_us_p99"]), num(r["exits_per_io"], "{:.2f}"),
                   num(r["hv_exits_per_io"], "{:.2f}"), num(r.get("irqs_per_io"), "{:.2f}"),
                   num(r["cpu_us_per_io"]), num(r.get("poll_us_per_io"), "{:.2f}"),
                   "%s..%s" % (num(r.get("iops_min"), "{:.0f}"), num(r.get("iops_max"), "{:.0f}"))]
                  for r in rs])
    # Per workload, side by side: the ratios the comparison is about.
    by = {(r["path"], r["workload"]): r for r in rs}
    lat = lambda p, w: (by.get((p, w)) or {}).get("lat_us_mean")
    ex = lambda p, w: (by.get((p, w)) or {}).get("exits_per_io")
    rows = []
    for w in sorted({r["workload"] for r in rs}, key=order):
        # The trap controller takes one request at a time: at a deeper workload its
        # latency is at depth 1, which the cells say.
        tq, depth = (by.get(("trap", w)) or {}).get("qd"), int(w.rsplit("qd", 1)[1])
        mark = " (trap at qd %d)" % tq if tq and tq < depth else ""
        rows.append([w, num(lat("native", w)), num(lat("pv", w)), num(lat("pv-poll", w)),
                     num(lat("trap", w)) + mark, ratio(lat("pv", w), lat("native", w)),
                     ratio(lat("trap", w), lat("pv", w)) + mark,
                     " / ".join(num(ex(p, w), "{:.2f}") for p in ("pv", "pv-poll", "trap"))])
    out += ["", "Mean latency per workload, side by side (same file):", ""]
    out += table(["workload", "native µs", "pv µs", "pv-poll µs", "trap µs", "pv/native",
                  "trap/pv", "exits/I/O pv / pv-poll / trap"], rows)
    out += ["", "Aims on exits and latency (hv's guest, default options unless named; all "
            "exit kinds count):", ""]
    out += table(["aim", "measured", "verdict"], exit_aims(rs, d.get("net_results") or []))
    cb = d.get("cpu_bound") or {}
    out += ["", "CPU-bound (`cpubench`, the same SHA-256 in the guest and natively, same "
            "digest): guest/native time %s (%d guest and %d native runs)." % (
                num(d.get("cpu_bound_ratio"), "{:.3f}", "not measured"),
                len(cb.get("guest_ns", [])), len(cb.get("native_ns", [])))]
    return out + failures([x for x in d.get("failures", []) if x.get("workload") not in NET_WORKLOADS])


NET_WORKLOADS = ("tcp-h2g", "tcp-g2h", "udp-rr", "loop")

# The exit and latency aims of make bench, each (what, [(path, workload, key or a
# function of get)], the bound, the figures' format).  --io-poll's is not here:
# make bench does not run hv with it (scripts/bench-iopoll.sh does: block_iopoll).
DEPTH1 = ("randread-4k-qd1", "randwrite-4k-qd1")


def lat_vs(base):
    """An aim's cell: a row's mean latency over path BASE's on the same workload."""
    return lambda g, p, w: ratio_of(g(p, w, "lat_us_mean"), g(base, w, "lat_us_mean"))


EXIT_AIMS = [
    ("pv at depth 1: at most 2.05 exits per I/O", [("pv", w, "exits_per_io") for w in DEPTH1],
     2.05, "{:.2f}"),
    ("of which x2APIC EOI writes at most 0.02 (the guest's count of its EOIs by MSR)",
     [("pv", w, "eoi_msr_per_io") for w in DEPTH1], 0.02, "{:.3f}"),
    ("pv `null-4k-qd1`: at most 1.05 (an aim for one CPU)",
     [("pv", "null-4k-qd1", "exits_per_io")], 1.05, "{:.2f}"),
    ("pv `randread-4k-qd32`: at most 0.05", [("pv", "randread-4k-qd32", "exits_per_io")], 0.05,
     "{:.2f}"),
    ("pv `seqread-128k-qd8`: at most 0.10", [("pv", "seqread-128k-qd8", "exits_per_io")], 0.10,
     "{:.2f}"),
    ("PV NIC under iperf: at most 0.10 exits per frame each way",
     [("pv", w, "exits_per_frame") for w in ("tcp-h2g", "tcp-g2h")], 0.10, "{:.3f}"),
    ("`loopback-pv` latency at depth 1: within 1.3x native",
     [("loopback-pv", w, lat_vs("native")) for w in DEPTH1], 1.3, "{:.2f}x"),
    ("pv latency at depth 1: within 1.2x `loopback-pv`",
     [("pv", w, lat_vs("loopback-pv")) for w in ("null-4k-qd1",) + DEPTH1], 1.2, "{:.2f}x"),
]


def block_two_cpus():
    """make bench's disk rows for hv's guest in a test host VM of two CPUs: where
    the guest's polling can pay, and what the aims come to there."""
    d = load(TWO_CPUS)
    if not d:
        return not_measured(TWO_CPUS, "run `make bench-2cpu`")
    m, rs = d["machine"], d["results"]
    get = lookup(rs)
    out = ["From `%s` (%s; %s; the machine hv ran on had %s CPUs): `make bench-2cpu%s`, "
           "%d runs of %g s per row, medians. The rows of `make bench` for hv's guest, its "
           "driver at its defaults (interrupts, "
           "the adaptive poll window before each halt); each CPU of the test host VM is an "
           "emulator thread of its own, so hv's vCPU thread and I/O thread run at once. "
           "Times are %s." % (
               TWO_CPUS, d["date"], where(m), m.get("cpus", "?"), " QUICK=1" if d.get("quick") else "",
               d["runs"], d["seconds_per_run"], "emulator times: compare them within this table"
               if m.get("testvm") else "this machine's"), ""]
    rows = []
    for r in rs:
        if r["path"] != "pv":
            continue
        k = r.get("kinds_per_io") or {}
        rows.append([r["workload"], num(r["exits_per_io"], "{:.2f}")] +
                    [num(k.get(x), "{:.3f}") for x in ("io", "halt", "irq")] +
                    [num(r.get("irqs_per_io"), "{:.3f}"), num(r["lat_us_mean"]),
                     ratio(r["lat_us_mean"], get("loopback-pv", r["workload"], "lat_us_mean")),
                     num(r["cpu_us_per_io"]), num(r.get("poll_us_per_io"), "{:.2f}"),
                     num(r.get("poll_window_us"), "{:.0f}")])
    out += table(["workload", "exits/I/O", "doorbells", "halts", "host irq exits", "irqs/I/O",
                  "mean µs", "vs loopback-pv", "cpu µs/I/O", "guest poll µs/I/O",
                  "poll window at the end, µs"], rows)
    out += ["", "The aims of `make bench`, measured here:", ""]
    out += table(["aim", "measured", "verdict"], exit_aims(rs, d.get("net_results") or []))
    return out + failures(d.get("failures", []))


def ratio_of(a, b):
    return None if a is None or not b else a / b


def exit_aims(rs, nrs):
    """Each of EXIT_AIMS's rows: its figures (path workload value) and its verdict."""
    return aim_rows(lookup(rs + nrs), EXIT_AIMS)


def where_exits_go(get, p, w, k):
    """For a missed exit aim: its exits by kind (KVM's, over 0.005 each), so the
    table says which exits are left; '' for any other figure."""
    if callable(k) or not k.startswith("exits_per_"):
        return ""
    kinds = get(p, w, "kinds_per_" + k[len("exits_per_"):])
    if not kinds:
        return ""
    parts = ["%s %.3f" % (n, kinds[n]) for n in benchlib.EXIT_KINDS + ["other"]
             if (kinds.get(n) or 0) > 0.005]
    return " (%s)" % ", ".join(parts) if parts else ""


def aim_rows(get, aims):
    """Each aim (what, cells, bound, format) as a row: its figures and its verdict."""
    rows = []
    for what, cells, bound, fmt in aims:
        figs, misses, absent = [], [], []
        for p, w, k in cells:
            v = k(get, p, w) if callable(k) else get(p, w, k)
            fig = "%s %s %s" % (p, w, num(v, fmt))
            if v is None:
                absent.append("%s %s" % (p, w))
            elif round(v, 6) > bound:
                misses.append("%s %s" % (p, w))
                fig += where_exits_go(get, p, w, k)
            figs.append(fig)
        if misses or not absent:
            v = verdict(misses)
        else:
            v = "not measured (%s)" % ", ".join(absent)
        rows.append([what, "; ".join(figs), v])
    return rows


def block_net():
    d = load(RESULTS)
    rs = (d or {}).get("net_results")
    if not rs:
        return not_measured(RESULTS, "run `make bench`: it has no network rows yet")
    out = ["From `%s` (%s; %s): `make bench%s`, %d runs per row, medians. Per frame: over "
           "every frame the guest's NICs moved during the workload, either way; exits and "
           "interrupts are KVM's counts, the same on any machine; rates and times are %s." % (
               RESULTS, d["date"], where(d["machine"]), " QUICK=1" if d.get("quick") else "",
               d["runs"], "emulator times: compare them within this table"
               if d["machine"].get("testvm") else "this machine's"), ""]
    out += table(["path", "workload", "Mbit/s", "p50 µs", "p99 µs", "frames/s", "exits/frame",
                  "interrupts/frame", "doorbells/frame", "hv CPU µs/frame"],
                 [[r["path"], r["workload"], num(r.get("mbit_s")), num(r.get("p50_us")),
                   num(r.get("p99_us")), num(r.get("frames_per_s"), "{:.0f}"),
                   num(r.get("exits_per_frame"), "{:.3f}"), num(r.get("irqs_per_frame"), "{:.3f}"),
                   num(r.get("doorbells_per_frame"), "{:.3f}"),
                   num(r.get("cpu_us_per_frame"))] for r in rs])
    val = lookup(rs)
    rows = []
    for w, k, what in (("tcp-h2g", "mbit_s", "TCP host to guest, Mbit/s"),
                       ("tcp-g2h", "mbit_s", "TCP guest to host, Mbit/s"),
                       ("loop", "frames_per_s", "loop backend, frames/s")):
        rows.append([what, num(val("native", w, k)), num(val("pv", w, k)),
                     num(val("pv-poll", w, k)), num(val("trap", w, k)),
                     ratio(val("pv", w, k), val("trap", w, k)),
                     ratio(val("pv", w, k), val("native", w, k))])
    rows.append(["UDP round trip p50, µs (lower is better)", num(val("native", "udp-rr", "p50_us")),
                 num(val("pv", "udp-rr", "p50_us")), num(val("pv-poll", "udp-rr", "p50_us")),
                 num(val("trap", "udp-rr", "p50_us")),
                 ratio(val("pv", "udp-rr", "p50_us"), val("trap", "udp-rr", "p50_us")),
                 ratio(val("pv", "udp-rr", "p50_us"), val("native", "udp-rr", "p50_us"))])
    out += ["", "Side by side (same run):", ""]
    out += table(["measure", "native (veth)", "pv", "pv-poll", "trap", "pv/trap", "pv/native"],
                 rows)
    return out + failures([x for x in d.get("failures", []) if x.get("workload") in NET_WORKLOADS])


def block_iopoll():
    d = load(IOPOLL)
    if not d:
        return not_measured(IOPOLL, "run `scripts/bench-iopoll.sh`")
    base = {(r["path"], r["workload"]): r["lat_us_mean"] for r in d["results"]
            if r["io_poll_us"] == 0}
    out = ["From `%s` (%s; %s): `scripts/bench-iopoll.sh`, %d runs of %g s per row, medians. "
           "`loopback-pv`: `loopback-blkbench --io-poll` (hv's backend, no VM); `pv`: the "
           "guest under `hv run --io-poll`." % (
               IOPOLL, d["date"], where(d["machine"]), d["runs"], d["seconds_per_run"]), ""]
    out += table(["path", "workload", "--io-poll µs", "IOPS", "mean µs", "p99 µs",
                  "mean vs poll 0", "exits/I/O", "cpu µs/I/O"],
                 [[r["path"], r["workload"], r["io_poll_us"], num(r["iops"], "{:.0f}"),
                   num(r["lat_us_mean"]), num(r["lat_us_p99"]),
                   ratio(r["lat_us_mean"], base.get((r["path"], r["workload"]))),
                   num(r["exits_per_io"], "{:.2f}"), num(r["cpu_us_per_io"])]
                  for r in d["results"]])
    # Issue 20's aim for --io-poll, at each poll time measured: hv's poller takes
    # the request without a doorbell, so depth 1 leaves the guest about once.
    rows = []
    for us in sorted({r["io_poll_us"] for r in d["results"] if r["io_poll_us"]}):
        rows += aim_rows(lookup([r for r in d["results"] if r["io_poll_us"] == us]),
                         [("`--io-poll %d` at depth 1: at most 1.05 exits per I/O" % us,
                           [("pv", w, "exits_per_io") for w in ("null-4k-qd1", "randread-4k-qd1")],
                           1.05, "{:.2f}")])
    out += ["", "Aim (hv's guest; all exit kinds count):", ""]
    out += table(["aim", "measured", "verdict"], rows)
    return out + failures(d.get("failures"))


BATCH_PATHS = ("hv-linux", "hv-linux-batch", "qemu-virtio")


def block_io_batch():
    """hv-linux without and with --io-batch, beside qemu-virtio, one run."""
    d = load(IO_BATCH)
    if not d or not any(r.get("path") == "hv-linux-batch" for r in d["results"]):
        return not_measured(IO_BATCH, "run `make bench-linux-batch`")
    get = lookup(d["results"] + d.get("net_results", []))
    out = ["From `%s` (%s; %s): `make bench-linux-batch`, %d runs per row, medians. The "
           "Linux guest of `make bench-linux` (same kernel, initramfs, jobs, image and tap) "
           "on hv as it is, on hv under `--io-batch`, and on QEMU's virtio, in one run; "
           "each figure measured as in that table. Times are %s." % (
               IO_BATCH, d["date"], where(d["machine"]), d["runs"],
               "emulator times: compare within this table" if d["machine"].get("testvm")
               else "this machine's"), ""]
    rows = []
    ws = sorted({r["workload"] for r in d["results"] if r["path"] in BATCH_PATHS}, key=order)
    for w in ws:
        for k, what, fmt in (("exits_per_io", "exits/I/O", "{:.2f}"), ("iops", "IOPS", "{:.0f}"),
                             ("cpu_us_per_io", "cpu µs/I/O", "{:.1f}"),
                             ("lat_us_mean", "mean µs", "{:.1f}")):
            v = [get(p, w, k) for p in BATCH_PATHS]
            rows.append([w, what] + [num(x, fmt) for x in v] + [ratio(v[1], v[0])])
    for w, k, what, fmt in (("tcp-h2g", "mbit_s", "Mbit/s", "{:.0f}"),
                            ("tcp-h2g", "exits_per_frame", "exits/frame", "{:.3f}"),
                            ("tcp-g2h", "mbit_s", "Mbit/s", "{:.0f}"),
                            ("tcp-g2h", "exits_per_frame", "exits/frame", "{:.3f}"),
                            ("udp-rr", "p50_us", "p50 µs", "{:.0f}"),
                            ("udp-rr", "exits_per_frame", "exits/frame", "{:.2f}")):
        v = [get(p, w, k) for p in BATCH_PATHS]
        if any(x is not None for x in v):
            rows.append([w, what] + [num(x, fmt) for x in v] + [ratio(v[1], v[0])])
    out += table(["workload", "measure", "hv-linux", "hv-linux --io-batch", "qemu-virtio",
                  "--io-batch / as is"], rows)
    # Verdicts: exits against virtio-blk at every depth, each way; what depth 1 pays.
    def above_virtio(p):  # a missing figure misses too
        e = [(w, get(p, w, "exits_per_io"), get("qemu-virtio", w, "exits_per_io")) for w in ws]
        return verdict([w for w, a, b in e if a is None or b is None or a >= b])
    out += ["", "Verdicts, this run: fewer exits per I/O than virtio-blk at every depth, as is: "
            "%s; with `--io-batch`: %s. At depth 1 `--io-batch` takes %s the mean latency of a "
            "4 KiB read and %s the UDP round trip's p50 as hv does by default." % (
                above_virtio("hv-linux"), above_virtio("hv-linux-batch"),
                ratio(get("hv-linux-batch", "randread-4k-qd1", "lat_us_mean"),
                      get("hv-linux", "randread-4k-qd1", "lat_us_mean")),
                ratio(get("hv-linux-batch", "udp-rr", "p50_us"), get("hv-linux", "udp-rr", "p50_us")))]
    return out + failures([x for x in d.get("failures", []) if (x.get("path") or "") in BATCH_PATHS])


def findings():
    """tests/fuzz/FINDINGS: one crash found and fixed per line, TARGET INPUT WHAT."""
    out = []
    with open(FINDINGS) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, path, what = line.split(None, 2)
                out.append((name, path, what.strip()))
    return out


def fuzz_target_what(name):
    """What the target's own header comment says it drives, up to the first detail."""
    try:
        with open("tests/fuzz/fuzz_%s.c" % name) as f:
            text = " ".join(l.strip(" /*\n") for l in f.read().split("*/")[0].splitlines())
    except FileNotFoundError:
        return "?"
    m = re.search(r"Fuzz target: (.*?)(\.\s| \(|, |$)", " ".join(text.split()))
    return m.group(1) if m else "?"


def block_fuzz():
    d, fixed = load(FUZZ), findings()
    if not d:
        return not_measured(FUZZ, "run `make fuzz FUZZ_SECONDS=600`")
    out = ["From `%s` (%s; CPU %s, %d cores, kernel %s, %s): `make fuzz FUZZ_SECONDS=%d`, %d "
           "targets at a time, each from its corpus (`tests/fuzz/corpus/`, and what earlier runs "
           "found) under libFuzzer with ASan and UBSan. Executions depend on the machine and its "
           "load; coverage is edges of hv's code the inputs reached. Crashes fixed come from "
           "`%s`, each with its input kept in the target's corpus, which `make test` replays." % (
               FUZZ, d["date"], d["cpu"], d["nproc"], d["kernel"], d["compiler"],
               d["seconds_per_target"], d["jobs"], FINDINGS), ""]
    rows = []
    for t in d["targets"]:
        n = t["name"]
        rate = t["executions"] / t["seconds"] if t.get("executions") and t["seconds"] else None
        rows.append([n, fuzz_target_what(n), num(t["seconds"], "{:.0f}"),
                     num(t.get("executions"), "{:,}"), num(rate, "{:.0f}"),
                     num(t.get("coverage"), "{}"), num(t.get("corpus"), "{}"),
                     t["crashes"] if t["status"] == "ok" else "%d (%s)" % (t["crashes"], t.get("why")),
                     sum(1 for f in fixed if f[0] == n)])
    out += table(["target", "what it drives", "s", "executions", "exec/s", "coverage",
                  "corpus", "crashes in this run", "crashes found and fixed"], rows)
    if fixed:
        out += ["", "Crashes found and fixed (`%s`):" % FINDINGS, ""]
        for n, path, what in fixed:
            kept = os.path.exists(os.path.join("tests/fuzz/corpus", n, path))
            out.append("* `%s`: %s (input `tests/fuzz/corpus/%s/%s`%s)" % (
                n, what, n, path, "" if kept else ", MISSING"))
    return out


PEER_PAIRS = (("pv", "qemu-virtio"), ("trap", "qemu-emulated"))
SYSTEM_NAMES = {"pv": "hv pv", "trap": "hv trap", "qemu-virtio": "QEMU virtio",
                "qemu-emulated": "QEMU emulated", "native": "native"}


def peer_intro(d, what):
    rs = d["results"] + d.get("net_results", [])
    hows = []
    for p in ("qemu-virtio", "qemu-emulated"):
        r = next((x for x in rs if x["path"] == p), None)
        if r:
            blk = next((x for x in d["results"] if x["path"] == p and x.get("disk")), None)
            hows.append("`%s`: %s" % (p, "; ".join(filter(None, [
                blk and "%s, fio engine %s" % (blk["disk"], blk.get("engine")),
                next((x.get("nic") for x in d.get("net_results", []) if x["path"] == p and x.get("nic")), None)]))))
    return ["From `%s` (%s; %s): `make bench%s`, %d runs per row, medians. %s QEMU + Linux: "
            "QEMU with `-accel kvm`, Debian's kernel and fio/iperf in the guest (%s), on the "
            "same KVM, image and kind of namespace as hv's rows; each block row less its "
            "baseline, the same fio stopping after its first I/O." % (
                RESULTS, d["date"], where(d["machine"]), " QUICK=1" if d.get("quick") else "",
                d["runs"], what, "; ".join(hows) or "no peer row ran"), ""]


def block_peers():
    d = load(RESULTS)
    if not d or not any(r.get("system") == "qemu-linux" for r in d["results"]):
        return not_measured(RESULTS + "'s peer rows", "run `make bench` or `make bench-peers`")
    by = {(r["path"], r["workload"]): r for r in d["results"]}
    get = lambda p, w, k: (by.get((p, w)) or {}).get(k)
    out = peer_intro(d, "Exits per I/O are KVM's counts (for QEMU's VM read from KVM's debugfs), the figure that holds on "
                        "any machine; times are %s." % (
                            "emulator times: compare them within this table"
                            if d["machine"].get("testvm") else "this machine's"))
    rows, trows, miss = [], [], {"all": ([], []), "io": ([], [])}
    quad = ("pv", "qemu-virtio", "trap", "qemu-emulated")
    for w in sorted({r["workload"] for r in d["results"] if r.get("system") == "qemu-linux"}, key=order):
        ex = {p: get(p, w, "exits_per_io") for p in quad}
        io = {}  # less the time-driven exits (model_counts): what the I/O itself costs
        for p in quad:
            c = by.get((p, w)) and model_counts(by[(p, w)])
            io[p] = None if c is None or ex[p] is None else max(0.0, ex[p] - c["time"])
        for key, e in (("all", ex), ("io", io)):
            if None not in (e["pv"], e["qemu-virtio"]) and e["pv"] > e["qemu-virtio"]:
                miss[key][0].append(w)
            if None not in (e["trap"], e["qemu-emulated"]) and e["trap"] > 2 * e["qemu-emulated"]:
                miss[key][1].append(w)
        rows.append([w] + ["%s / %s" % (num(ex[p], "{:.2f}"), num(io[p], "{:.2f}")) for p in quad] +
                    [ratio(ex["pv"], ex["qemu-virtio"]), ratio(ex["trap"], ex["qemu-emulated"])])
        trows.append([w] + [num(get(p, w, "lat_us_mean")) for p in ("native",) + quad] +
                     [num(get(p, w, "cpu_us_per_io")) for p in quad])
    out += table(["workload", "exits/I/O: hv pv (all / I/O-driven)", "QEMU virtio", "hv trap",
                  "QEMU emulated", "pv/virtio (all)", "trap/emulated (all)"], rows)
    out += ["", "I/O-driven: all exits less the time-driven kinds (`irq_exits`, host interrupts, "
            "and `irq_window_exits`), which grow with the seconds an I/O takes rather than with "
            "the I/O (see the exit-by-exit table below).", ""]
    out += table(["workload", "mean µs native", "hv pv", "QEMU virtio", "hv trap", "QEMU emulated",
                  "cpu µs/I/O hv pv", "QEMU virtio", "hv trap", "QEMU emulated"], trows)
    aims = ["", "Aims, on exits per I/O (all / I/O-driven): hv pv at or below QEMU virtio at every "
            "depth: %s / %s; hv trap within 2x of QEMU's emulated controller: %s / %s." % (
                verdict(miss["all"][0]), verdict(miss["io"][0]), verdict(miss["all"][1]),
                verdict(miss["io"][1]))]
    nr = [r for r in d.get("net_results", []) if r["path"] in ("pv", "trap", "qemu-virtio", "qemu-emulated", "native")]
    nget = lookup(nr)
    paths = ("native", "pv", "qemu-virtio", "trap", "qemu-emulated")
    nrows = []
    for w, k, what in (("tcp-h2g", "mbit_s", "TCP host to guest, Mbit/s"),
                       ("tcp-g2h", "mbit_s", "TCP guest to host, Mbit/s"),
                       ("udp-rr", "p50_us", "UDP round trip p50, µs")):
        nrows.append([what] + [num(nget(p, w, k)) for p in paths])
        nrows.append(["%s: exits/frame" % w] + [num(nget(p, w, "exits_per_frame"), "{:.3f}") for p in paths])
    out += aims
    if any(r["system"] == "qemu-linux" for r in nr):
        out += ["", "Network, same run (hv's guest runs lwIP, QEMU's Linux: the stacks differ, "
                "the exits per frame are the NIC interface's cost):", ""]
        out += table(["measure", "native (veth)", "hv pv", "QEMU virtio-net", "hv trap", "QEMU e1000"], nrows)
    return out + failures([x for x in d.get("failures", []) if (x.get("path") or "").startswith("qemu")])


LINUX_PAIR = ("hv-linux", "qemu-virtio")
LINUX_PEERS = "build/bench/linux.json"  # make bench-linux


def block_linux_peers():
    """The same Linux guest (kernel, initramfs, fio and iperf jobs) on hv's PV
    devices and on QEMU's virtio, one run: per I/O and per frame, exit by exit."""
    d = load(LINUX_PEERS)
    if not d or not any(r.get("path") == "hv-linux" for r in d["results"] + d.get("net_results", [])):
        return not_measured(LINUX_PEERS, "run `make bench-linux`")
    by = {(r["path"], r["workload"]): r for r in d["results"] + d.get("net_results", [])}
    get = lambda p, w, k: (by.get((p, w)) or {}).get(k)
    blk = next((r for r in d["results"] if r["path"] == "qemu-virtio" and r.get("disk")), None)
    out = ["From `%s` (%s; %s): `make bench-linux`, %d runs per row, medians. Both rows boot "
           "the same `vmlinux` (Debian's, the test host VM's), the same initramfs "
           "(`scripts/peers/build.sh`: busybox, fio, iperf, Debian's virtio modules and hv's "
           "`pv-drivers/linux` modules) and run the same fio and iperf jobs on the same "
           "image and tap, on the same KVM; hv-linux uses hv's PV disk and NIC, qemu-virtio "
           "QEMU's virtio-blk-pci and virtio-net-pci (%s). Exits are KVM's counts of each "
           "VM (debugfs), less the serial handshake around each window; each block row less "
           "its baseline, the same fio stopping after its first I/O. Times are %s." % (
               LINUX_PEERS, d["date"], where(d["machine"]), d["runs"],
               blk and "%s, fio engine %s" % (blk["disk"], blk.get("engine")) or "QEMU did not run",
               "emulator times: compare within this table" if d["machine"].get("testvm")
               else "this machine's"), ""]
    rows, miss, miss_io = [], [], []
    ws = sorted({r["workload"] for r in d["results"] if r["path"] in LINUX_PAIR}, key=order)
    for w in ws:
        e = [get(p, w, "exits_per_io") for p in LINUX_PAIR]
        # I/O-driven: less the time-driven kinds (host interrupts, interrupt
        # windows), which grow with how long an I/O takes, not with the I/O.
        io = []
        for p in LINUX_PAIR:
            c = by.get((p, w)) and model_counts(by[(p, w)])
            io.append(None if c is None or get(p, w, "exits_per_io") is None
                      else max(0.0, get(p, w, "exits_per_io") - c["time"]))
        if None not in e and e[0] >= e[1]:
            miss.append(w)
        if None not in io and io[0] >= io[1]:
            miss_io.append(w)
        rows.append([w] + ["%s / %s" % (num(x, "{:.2f}"), num(y, "{:.2f}")) for x, y in zip(e, io)] +
                    [ratio(*e)] +
                    [num(get(p, w, "irqs_per_io"), "{:.2f}") for p in LINUX_PAIR] +
                    [num(get(p, w, "cpu_us_per_io")) for p in LINUX_PAIR] +
                    [num(get(p, w, "lat_us_mean")) for p in LINUX_PAIR] +
                    [num(get(p, w, "lat_us_p99")) for p in LINUX_PAIR])
    out += table(["workload", "exits/I/O hv-linux (all / I/O-driven)", "qemu-virtio", "hv/virtio (all)",
                  "irqs/I/O hv-linux", "qemu-virtio", "cpu µs/I/O hv-linux", "qemu-virtio",
                  "mean µs hv-linux", "qemu-virtio", "p99 µs hv-linux", "qemu-virtio"], rows)
    nrows, nmiss = [], []
    for w, k, what in (("tcp-h2g", "mbit_s", "TCP host to guest"), ("tcp-g2h", "mbit_s", "TCP guest to host"),
                       ("udp-rr", "p50_us", "UDP round trip")):
        e = [get(p, w, "exits_per_frame") for p in LINUX_PAIR]
        if None not in e and e[0] >= e[1]:
            nmiss.append(w)
        nrows.append([w, what] + [num(get(p, w, k)) for p in LINUX_PAIR] + [num(x, "{:.3f}") for x in e] +
                     [ratio(*e)] + [num(get(p, w, "irqs_per_frame"), "{:.3f}") for p in LINUX_PAIR])
    if any(get(p, w, "exits_per_frame") is not None for p in LINUX_PAIR for w in ("tcp-h2g", "tcp-g2h", "udp-rr")):
        out += ["", "Network (Mbit/s for TCP, p50 µs for the round trip; a virtio-net frame may "
                "carry up to 64 KiB with the TSO/GSO it negotiates with the tap, an hv PV NIC "
                "frame one MTU):", ""]
        out += table(["workload", "what", "hv-linux", "qemu-virtio", "exits/frame hv-linux",
                      "qemu-virtio", "hv/virtio", "irqs/frame hv-linux", "qemu-virtio"], nrows)
        lost = ["%s %d" % (p, get(p, "udp-rr", "lost")) for p in LINUX_PAIR if get(p, "udp-rr", "lost")]
        if lost:
            out += ["", "UDP round trips lost (up to 1% are reported, not failed; the p50 is over "
                    "the answered ones): %s." % ", ".join(lost)]
    # Where the runs' ranges overlap, another run may well give the other verdict.
    overlap = []
    for w in ws:
        lo = [get(p, w, "exits_per_io_min") for p in LINUX_PAIR]
        hi = [get(p, w, "exits_per_io_max") for p in LINUX_PAIR]
        if None not in lo + hi and lo[0] <= hi[1] and lo[1] <= hi[0]:
            overlap.append("%s (hv-linux %s..%s, qemu-virtio %s..%s)" % (
                w, num(lo[0], "{:.2f}"), num(hi[0], "{:.2f}"), num(lo[1], "{:.2f}"),
                num(hi[1], "{:.2f}")))
    out += ["", "Aims: fewer exits per I/O than virtio-blk at every depth (all / I/O-driven): "
            "%s / %s; fewer exits per frame than virtio-net: %s.%s" % (
                verdict(miss), verdict(miss_io), verdict(nmiss),
                " The runs' ranges of all exits per I/O overlap at %s: there the verdict may "
                "change from one run to the next." % "; ".join(overlap) if overlap else "")]
    krows = []
    kw = [w for w in ("randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8") if w in ws]
    for k, stat, what in KIND_ROWS:
        krows.append(["`%s`" % stat] + [num((get(p, w, "kinds_per_io") or {}).get(k), "{:.2f}")
                                        for w in kw for p in LINUX_PAIR])
    krows.append(["**all exits**"] + [num(get(p, w, "exits_per_io"), "{:.2f}") for w in kw for p in LINUX_PAIR])
    krows.append(["interrupts injected"] + [num(get(p, w, "irqs_per_io"), "{:.2f}") for w in kw for p in LINUX_PAIR])
    if kw:
        out += ["", "Exit by exit, per I/O (KVM's statistics by kind; `other` is the rest of "
                "all exits, mostly MSR writes: the x2APIC EOI and the TSC deadline timer):", ""]
        out += table(["exit"] + ["%s %s" % (w, p) for w in kw for p in LINUX_PAIR], krows)
    return out + failures([x for x in d.get("failures", []) if (x.get("path") or "") in LINUX_PAIR])


# Exit kinds as KVM's statistics name them, and where each is handled.
KIND_ROWS = [("io", "io_exits", "port I/O: in KVM when an ioeventfd matches, else out to the VMM"),
             ("mmio", "mmio_exits", "MMIO out to the VMM (user space)"),
             ("halt", "halt_exits", "HLT: the vCPU waits for its interrupt"),
             ("irq", "irq_exits", "a host interrupt arrived in guest mode"),
             ("irq_window", "irq_window_exits", "waiting for the guest to accept an interrupt"),
             ("hypercall", "hypercalls", "vmcall/vmmcall handled in KVM"),
             ("signal", "signal_exits", "KVM_RUN interrupted by a signal"),
             ("other", "(the rest)", "handled in KVM: MSR writes (the x2APIC EOI), nested page "
                                     "faults on MMIO that KVM serves (an ioeventfd on MMIO), ...")]
EXIT_PATHS = ("pv", "trap", "qemu-virtio", "qemu-emulated")


def model_counts(r):
    """Per I/O, the model's classes from a row's measured kinds: exits out to
    the VMM (hv's own count less signal returns; for QEMU its MMIO exits), port
    I/O KVM serves (an ioeventfd doorbell), every other exit KVM handles (HLT,
    an MMIO ioeventfd, MSR writes such as an EOI or a timer's deadline), and
    apart, not priced, the time-driven kinds: host interrupts and interrupt
    windows, which grow with how long an I/O takes.  What the guest's own timer
    costs besides them (its MSR writes, its EOIs) cannot be told apart from the
    I/O's in KVM's counts and stays in "exit"."""
    k, ex = r.get("kinds_per_io") or {}, r.get("exits_per_io")
    if ex is None or not k:
        return None
    if r.get("hv_exits_per_io") is not None:
        user = max(0.0, r["hv_exits_per_io"] - k.get("signal", 0))
    else:
        user = k.get("mmio", 0)
    kio = max(0.0, k.get("io", 0) - max(0.0, user - k.get("mmio", 0)))
    time = k.get("irq", 0) + k.get("irq_window", 0)
    return {"user": user, "kernel_io": kio, "exit": max(0.0, ex - user - kio - time), "time": time}


def block_exits():
    d, costs = load(RESULTS), load(COSTS)
    w = "randread-4k-qd1"
    rs = {r["path"]: r for r in (d or {}).get("results", []) if r["workload"] == w}
    if not rs or not any(rs.get(p, {}).get("kinds_per_io") for p in EXIT_PATHS):
        return not_measured(RESULTS + "'s exit kinds", "run `make bench`")
    paths = [p for p in EXIT_PATHS if p in rs]
    out = ["One 4 KiB random read at depth 1 (`%s`), per I/O, from `%s` (%s; %s): medians of "
           "KVM's statistics over the workload (hv: `HV_HC_EXIT_COUNT`; QEMU: its VM's "
           "debugfs)." % (w, RESULTS, d["date"], where(d["machine"])), ""]
    kind = lambda p, k: (rs[p].get("kinds_per_io") or {}).get(k)
    rows = [["`%s`" % stat, what] + [num(kind(p, k), "{:.2f}") for p in paths]
            for k, stat, what in KIND_ROWS]
    rows.append(["**all exits**", "KVM's `exits`"] + [num(rs[p].get("exits_per_io"), "{:.2f}") for p in paths])
    rows.append(["of which to hv", "returns from `KVM_RUN` to hv's vCPU loop"] +
                [num(rs[p].get("hv_exits_per_io"), "{:.2f}") for p in paths])
    rows.append(["interrupts injected", "KVM's `irq_injections` (not exits)"] +
                [num(rs[p].get("irqs_per_io"), "{:.2f}") for p in paths])
    rows.append(["instructions emulated", "KVM's `insn_emulation` (inside the exits above)"] +
                [num(kind(p, "emul"), "{:.2f}") for p in paths])
    out += table(["exit", "what it is"] + [SYSTEM_NAMES[p] for p in paths], rows)
    if not costs:
        return out + [""] + not_measured(COSTS, "the published costs")
    ghz = costs["ghz"]
    counts = {p: model_counts(rs[p]) for p in paths}
    mrows = []
    for c in costs["classes"]:
        mrows.append([c["what"], "%d (%s)" % (c["cycles"], c["measure"])] +
                     [num((counts[p] or {}).get(c["class"]), "{:.2f}") for p in paths])
    total = {p: sum(counts[p][c["class"]] * c["cycles"] for c in costs["classes"]) if counts[p] else None
             for p in paths}
    mrows.append(["time-driven exits, not priced: host interrupts and interrupt windows", "-"] +
                 [num((counts[p] or {}).get("time"), "{:.2f}") for p in paths])
    mrows.append(["**modelled exit cost per I/O**", "at %g GHz" % ghz] +
                  [num(total[p] and total[p] / ghz / 1e3, "{:.2f} µs") for p in paths])
    out += ["", "**Model, not a measurement:** the counts above priced with published per-exit "
            "costs on a bare-metal %s (%s). What a real VMX host would spend per read in "
            "exits alone, before any device or disk time:" % (costs["cpu"], costs["cite"]), ""]
    out += table(["exit class", "cycles each (source's measure)"] + [SYSTEM_NAMES[p] for p in paths], mrows)
    return out + ["", costs["caveat"]]


# bench-ratelimit.py's limits, in its order: (key, what, unit).
LIMITS = [("disk_ops", "PV disk, ops/s (`iops=`)", "requests/s"),
          ("disk_bytes", "PV disk, bytes/s (`bps=`)", "bytes/s"),
          ("nic_tx_pps", "PV NIC tx, frames/s (`tx-pps=`)", "frames/s"),
          ("nic_tx_bps", "PV NIC tx, bytes/s (`tx-bps=`)", "bytes/s"),
          ("nic_rx_pps", "PV NIC rx, frames/s (`rx-pps=`)", "frames/s"),
          ("nic_rx_bps", "PV NIC rx, bytes/s (`rx-bps=`)", "bytes/s")]


def block_ratelimit():
    d = load(RATELIMIT)
    if not d:
        return not_measured(RATELIMIT, "run `scripts/testvm/run.sh -- scripts/bench-ratelimit.sh`")
    out = ["From `%s` (%s; %s): `scripts/bench-ratelimit.sh`, one run. %s. Each limit is %.1fx "
           "the unlimited rate measured in the same run; %d windows of 1 s after %g s (the "
           "burst spent), from %s. A window counts as a 1 s window when it lasted 0.9 to "
           "1.1 s on hv's clock (a late scrape makes a longer one, left out and counted). "
           "Met: at least five 1 s windows, every one within %d%% of the setting." % (
               RATELIMIT, d["when"], where(d["where"]), d["load_note"][:1].upper() + d["load_note"][1:],
               d["fraction_of_unlimited"], d["windows"], d["warm_s"], d["source"],
               round(d["tolerance"] * 100)), ""]
    rows = []
    for key, what, unit in LIMITS:
        r = d.get(key)
        if not r:
            continue
        rows.append([what, "{:,} {}".format(r["setting_per_s"], unit),
                     " ".join("%.3f" % x for x in r["ratios"]), num(r["min_ratio"], "{:.3f}"),
                     num(r["max_ratio"], "{:.3f}"), r.get("not_1s_windows", 0),
                     "yes" if r["within_5pct"] else "**no**"])
    out += table(["limit", "setting", "achieved / setting, each 1 s window", "min", "max",
                  "windows not 1 s (left out)", "within 5%"], rows)
    cost = d.get("unset_cost", {})
    names = [("no_limit_code", "hv without the limit code (the commit before it)"),
             ("unset", "limit code compiled, no limit set"),
             ("unset_again", "the same, again (run-to-run spread)"),
             ("far_above", "a limit set far above the rate (`iops=1G,bps=1000G`)")]
    out += ["", "No cost when unset: `blkbench randread-4k-qd32` on a `null:` PV disk, "
            "per request over the same windows; system calls counted with `perf stat -e "
            "raw_syscalls:sys_enter --per-thread` on hv (`hv-io`: the I/O thread).", ""]
    crow = []
    for k, label in names:
        r = cost.get(k)
        if not r:
            continue
        sc = r.get("syscalls_per_op") or {}
        crow.append([label, num(r["mean_ops"], "{:.0f}"), num(r["kvm_exits_per_op"], "{:.4f}"),
                     num(r["hv_returns_per_op"], "{:.5f}"), num(sc.get("hv-io"), "{:.4f}"),
                     num(r.get("syscalls_per_op_all"), "{:.4f}")])
    out += table(["case", "requests/s", "KVM exits/request", "returns to hv/request",
                  "I/O thread syscalls/request", "all threads' syscalls/request"], crow)
    sc = d.get("scraper")
    if sc:
        out += ["", "Metrics without cost: the same workload with and without a 10 Hz "
                "`GET /metrics` scraper (two runs of each, interleaved; means):", ""]
        srow = []
        for k, label in (("off", "no scraper (1 Hz sampling only)"), ("on", "10 Hz scraper")):
            r = sc[k]
            scr = [x.get("scraper", {}) for x in r["runs"]]
            srow.append([label, num(r["iops"], "{:.0f}"), num(r["kvm_exits_per_op"], "{:.4f}"),
                         num(r["hv_returns_per_op"], "{:.5f}"),
                         num(r.get("io_syscalls_per_op"), "{:.4f}"),
                         " ".join(str(x["scrapes"]) for x in scr if x) or "-"])
        out += table(["case", "requests/s", "KVM exits/request", "returns to hv/request",
                      "I/O thread syscalls/request", "GETs served"], srow)
    return out


BLOCKS = {"cli": block_cli, "testvm": block_testvm, "boot": block_boot, "bench": block_bench,
          "net": block_net, "peers": block_peers, "exits": block_exits,
          "io-poll": block_iopoll, "fuzz": block_fuzz, "linux-boot": block_linux_boot,
          "linux-peers": block_linux_peers, "ratelimit": block_ratelimit,
          "snapshot-linux": block_snapshot_linux, "snapshot": block_snapshot,
          "io-batch": block_io_batch, "two-cpus": block_two_cpus}
# The files a block is rendered from: when none exists, the block keeps what an
# earlier run wrote into it (a fresh clone has no build/ results), unless it
# is empty.  testvm: make test's own file, without which its row would be lost.
SOURCES = {"cli": (HV_BIN,), "testvm": (TEST_TIMES,), "boot": (BOOT,), "bench": (RESULTS,),
           "net": (RESULTS,), "peers": (RESULTS,), "exits": (RESULTS,), "io-poll": (IOPOLL,),
           "fuzz": (FUZZ,), "linux-boot": (LINUX_BOOT,), "linux-peers": (LINUX_PEERS,),
           "ratelimit": (RATELIMIT,), "snapshot-linux": (SNAP_LINUX,), "snapshot": (SNAP_BENCH,),
           "io-batch": (IO_BATCH,), "two-cpus": (TWO_CPUS,)}
# README's summaries: one small table per question, cut from a full block in
# BENCHMARKS.md (the table after CAPTION, None: the block's first table, and
# any line starting with EXTRA), with the full block's source and a link.
SUMMARIES = {
    "summary-bench": ("bench", "Mean latency per workload, side by side (same file):", None,
                      "trap-vs-hypercall"),
    "summary-peers": ("peers", None, "Aims, ", "beside-qemu-and-linux"),
    "summary-net": ("net", "Side by side (same run):", None, "network"),
    "summary-linux": ("linux-peers", None, "Aims: ", "the-same-linux-guest-on-hv-and-on-qemu"),
}
DOCS = ("README.md", "BENCHMARKS.md", "SECURITY.md", "docs/RATELIMIT.md")


def summary(name, full):
    """The summary block NAME from its full block's lines."""
    block, caption, extra, anchor = SUMMARIES[name]
    if not full or not full[0].startswith("From `"):
        return full  # "not measured": say the same
    src = full[0].split("): ", 1)[0] + ")"
    start = full.index(caption) + 1 if caption in full else 1
    rows = []
    for line in full[start:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    out = ["%s. The full tables and how to read them: [BENCHMARKS.md](BENCHMARKS.md#%s)." % (
        src, anchor), ""] + rows
    if extra:
        out += [""] + [l for l in full if l.startswith(extra)]
    return out


def marker(name):
    return re.compile(r"(<!-- generated:%s begin -->\n)(.*?)(<!-- generated:%s end -->)" % (
        re.escape(name), re.escape(name)), re.S)


def main(argv):
    check = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    only = []
    while "--only" in argv:
        i = argv.index("--only")
        if i + 1 >= len(argv) or argv[i + 1] not in list(BLOCKS) + list(SUMMARIES):
            sys.exit(__doc__)
        only.append(argv.pop(i + 1))
        argv.pop(i)
    if argv:
        sys.exit(__doc__)
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # build/ is here
    texts = {f: open(f).read() for f in DOCS}
    new = dict(texts)
    lines, kept = {}, []
    for name, render in BLOCKS.items():
        have = [m.group(2) for t in texts.values() for m in [marker(name).search(t)] if m]
        if not have:
            sys.exit("readme-figures: no generated:%s markers in %s" % (name, ", ".join(DOCS)))
        if (only and name not in only) or (
                not any(os.path.exists(f) for f in SOURCES[name]) and have[0].strip()):
            lines[name] = have[0].rstrip("\n").split("\n")
            if not only or name in only:
                kept.append(name)
        else:
            lines[name] = render()
    for name in SUMMARIES:
        lines[name] = summary(name, lines[SUMMARIES[name][0]])
    for f in DOCS:
        for name, body in lines.items():
            pat = marker(name)
            if pat.search(new[f]):
                text = "\n".join(body) + "\n"
                new[f] = pat.sub(lambda m: m.group(1) + text + m.group(3), new[f], count=1)
    if kept:
        print("readme-figures: no result file for %s: kept as written by an earlier run" %
              ", ".join(kept), file=sys.stderr)
    changed = [f for f in DOCS if new[f] != texts[f]]
    if check:
        if changed:
            print("readme-figures: %s differ from the measured files" % ", ".join(changed),
                  file=sys.stderr)
            return 1
        return 0
    for f in changed:
        with open(f + ".tmp", "w") as fh:
            fh.write(new[f])
        os.replace(f + ".tmp", f)  # never a half-written document
    print("readme-figures: %s" % ("updated " + ", ".join(changed) if changed else "unchanged"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
