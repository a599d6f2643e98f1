#!/usr/bin/env python3
"""What the benchmark scripts share: where a measurement ran, medians with
their spread, the JSON lines guests print, and failure records.

As a command, for the bash drivers:
  benchlib.py where [FILE...]     the "where it ran" object as JSON; the KVM
                                  backend is read from hv --stats output in FILEs
  benchlib.py failure PATH WORKLOAD REP WHY FILE...
                                  one failure record as a JSON line, with the
                                  last lines of each FILE
  benchlib.py failures RESULTS.json
                                  how many failures RESULTS.json lists
  benchlib.py direct FILE         exit status 0 if FILE reads with O_DIRECT
                                  (a 4 KiB aligned read at offset 0)"""
import datetime, json, os, platform, re, statistics, sys

BACKEND_LINE = re.compile(r"hv: stats: KVM backend (.+?)\s*$")
# iperf 2's CSV report line (-y C); the group is the rate in bit/s.
IPERF_CSV = re.compile(r"^\d+,[\d.]+,\d+,[\d.]+,\d+,\d+,[\d.]+-[\d.]+,\d+,(\d+)\s*$")


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def hv_backend(files):
    """The KVM backend as hv --stats names it ("SVM (kvm_amd)", "VMX ...", "PVM ...")
    from the first of FILES that has the line; None when no guest reported one."""
    for f in files:
        try:
            for line in open(f, errors="replace"):
                m = BACKEND_LINE.search(line)
                if m:
                    return m.group(1)
        except OSError:
            pass
    return None


def where(backend_files=()):
    """Where this process runs: what every results file records next to its figures."""
    testvm = os.environ.get("HV_TESTVM") == "1"  # scripts/testvm/run.sh exports it
    qemu = os.environ.get("HV_TESTVM_QEMU_VERSION") or None if testvm else None
    return {
        "backend": hv_backend(backend_files),
        "testvm": testvm,
        "qemu": qemu,
        "label": ("test host VM (QEMU %sTCG, emulated SVM)" % (qemu + " " if qemu else ""))
        if testvm else "this machine",
        "kernel": platform.release(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "host": platform.node(),
        "date": now(),
        "host_load": host_load(os.environ.get("HV_HOST_LOAD")),
    }


def host_load(path):
    """The machine's 1-minute load average while the run went on, from
    scripts/host-load.sh's FILE (the test host VM cannot see it): CPUs, samples,
    mean and max; None without the file."""
    try:
        lines = [l.strip() for l in open(path) if l.strip()] if path else []
        cpus, loads = int(lines[0]), [float(x) for x in lines[1:]]
    except (OSError, ValueError, IndexError):
        return None
    if not loads:
        return None
    return {"cpus": cpus, "samples": len(loads), "mean": round(sum(loads) / len(loads), 2),
            "max": max(loads)}


def summarize(rows, keys):
    """Median of each key over ROWS, with KEY_min and KEY_max; None when no row has
    a usable value (negative means "not available" in the guest's JSON)."""
    out = {}
    for k in keys:
        vals = [float(r[k]) for r in rows if r.get(k) is not None and float(r[k]) >= 0]
        if not vals:
            out[k] = None
            continue
        out[k] = round(statistics.median(vals), 3)
        out[k + "_min"] = round(min(vals), 3)
        out[k + "_max"] = round(max(vals), 3)
    return out


# KVM's exit kinds a row reports (the guest's HV_EXIT_KIND_* names; for other
# VMMs' guests the same statistics read from KVM's debugfs), and "other": the
# exits none of them names (on x86: MSR writes such as the x2APIC EOI, nested
# page faults KVM handles itself, ...), derived here as the rest of the total.
EXIT_KINDS = ["io", "mmio", "halt", "irq", "irq_window", "hypercall", "signal"]
# Each kind's KVM statistic (hv's HV_EXIT_KIND_* table has the same), and
# "emul", instructions KVM emulated (inside exits already counted).
KIND_STATS = {"io": "io_exits", "mmio": "mmio_exits", "halt": "halt_exits",
              "irq": "irq_exits", "irq_window": "irq_window_exits",
              "hypercall": "hypercalls", "signal": "signal_exits", "emul": "insn_emulation"}


def per_unit(counts, exits, units):
    """Exit kinds per unit (I/O or frame) from a guest's counts over a workload:
    {kind: counts[kind] / units} plus "other" (exits less the named kinds) and
    "emul" (instructions KVM emulated, inside exits already counted); None
    when KVM's statistics were not readable (negative counts)."""
    if not units or exits is None or exits < 0 or not counts:
        return None
    if any(counts.get(k, -1) < 0 for k in EXIT_KINDS):
        return None
    out = {k: counts[k] / units for k in EXIT_KINDS}
    out["other"] = max(0, exits - sum(counts[k] for k in EXIT_KINDS)) / units
    if counts.get("emul", -1) >= 0:
        out["emul"] = counts["emul"] / units
    return out


def summarize_kinds(rows, key):
    """Median of each kind in the KEY dicts of ROWS; None when no row has one."""
    dicts = [r[key] for r in rows if r.get(key)]
    if not dicts:
        return None
    kinds = sorted({k for d in dicts for k in d}, key=lambda k: (k not in EXIT_KINDS, k))
    # Each kind's own median: they need not add up to the median of all exits.
    return {k: round(statistics.median(d[k] for d in dicts if k in d), 3) for k in kinds}


def prefixed_json(path, prefix):
    """The JSON objects on lines of PATH that start with PREFIX (the UART may end
    lines with \\r, hence the strip)."""
    out = []
    for line in open(path, errors="replace"):
        line = line.strip()
        if line.startswith(prefix) and line[len(prefix):].startswith("{"):
            out.append(json.loads(line[len(prefix):]))
    return out


def tail(path, n=5):
    try:
        with open(path, errors="replace") as f:
            return [l.rstrip("\r\n") for l in f.readlines()[-n:]]
    except OSError as e:
        return ["(%s)" % e.strerror]


def main(argv):
    if len(argv) >= 1 and argv[0] == "where":
        print(json.dumps(where(argv[1:])))
    elif len(argv) >= 5 and argv[0] == "failure":
        path, workload, rep, why = argv[1:5]
        print(json.dumps({"path": path, "workload": workload or None, "rep": int(rep),
                          "why": why, "tails": {f: tail(f) for f in argv[5:]}}))
    elif len(argv) == 2 and argv[0] == "direct":
        import mmap
        fd = os.open(argv[1], os.O_RDONLY | os.O_DIRECT)
        os.preadv(fd, [mmap.mmap(-1, 4096)], 0)
        os.close(fd)
    elif len(argv) == 2 and argv[0] == "failures":
        print(len(json.load(open(argv[1]))["failures"]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
