#!/usr/bin/env python3
"""Rate limits and metrics, measured in one run (scripts/bench-ratelimit.sh runs it where KVM is).

usage: bench-ratelimit.py OUT.json [NOLIMIT_HV NOLIMIT_KERNEL]

Every phase starts hv with a guest program that loads one device and
samples GET /metrics once a second from the host: a window's rate is the
difference of hv's own counters between two scrapes over the difference
of hv_metrics_read_seconds (hv's clock when it read them).  A window that
did not last 1 s +-10% (a scrape served late) is reported but not judged;
sampling goes on until six did (or 14 scrapes).  The first WARM seconds
after the device's first request are left out (the burst, one second's
worth, is spent by then).  hv is shut down through the API: the guest's own timers
are guest time, which in the nested test host VM does not follow the
host's.

  disk (null:256M, blkbench randread-4k-qd32 / seqread-128k-qd8):
    * unlimited, without and with a 10 Hz GET /metrics scraper,
      interleaved twice: requests/s and KVM exits per request;
    * an ops/s limit and a bytes/s limit, each 0.4x the unlimited rate
      measured above: every window's rate against the setting (met: at
      least five 1 s windows, all within 5%);
    * no cost when unset: KVM exits, returns to hv and system calls per
      request (perf stat -e raw_syscalls:sys_enter, per thread) with no
      limit, with a limit set far above the rate (the limit code runs on
      every request but never refuses), and, given NOLIMIT_HV, with an hv
      built from the commit before rate limits existed.
  NIC (--net loop, netloop pvnet0 with 64 frames in flight: every frame
  the guest sends comes back received, so each direction carries the
  same load): unlimited, then tx-pps, tx-bps, rx-pps, rx-bps each at 0.4x
  the unlimited rate of that direction; the same windows and criterion.

Writes OUT.json; prints every window.  Asserts nothing: a criterion not
met is reported as not met."""
import json, os, signal, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HV, KERNEL = "build/hv", "build/guest-kernel.elf"
WARM, WINDOWS, TOLERANCE, FRACTION = 3.0, 6, 0.05, 0.4
WINDOW_SLACK = 0.1  # a window is a 1 s window when it lasted 0.9 to 1.1 s on hv's clock
BLK = "pvblk0"
NET = "pvnet0"


def http(sock, method, path, body=b"", timeout=10):
    """One request on hv's control socket: (status, body bytes)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(("%s %s HTTP/1.1\r\nHost: hv\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
               % (method, path, len(body))).encode() + body)
    resp = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        resp += chunk
    s.close()
    head, _, data = resp.partition(b"\r\n\r\n")
    return int(head.split()[1]), data


def metrics(sock):
    """GET /metrics (text format) as {"name{labels}": value}."""
    status, data = http(sock, "GET", "/metrics")
    if status != 200:
        raise RuntimeError("GET /metrics: status %d" % status)
    out = {}
    for line in data.decode().splitlines():
        if line and not line.startswith("#"):
            key, _, val = line.rpartition(" ")
            out[key] = float(val)
    return out


def dev(name, device):
    return 'hv_device_%s_total{device="%s"}' % (name, device)


KVM_EXITS, HV_RETURNS = "kvm_vcpu_exits_total", "hv_kvm_run_returns_total"
HV_CLOCK = "hv_metrics_read_seconds"


class Scraper(threading.Thread):
    """GET /metrics at hz until stopped: the load a monitoring system puts on hv."""

    def __init__(self, sock, hz):
        super().__init__(daemon=True)
        self.sock, self.period, self.stop, self.times = sock, 1.0 / hz, threading.Event(), []

    def run(self):
        t = time.monotonic()
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                metrics(self.sock)
                self.times.append(time.monotonic() - t0)
            except (OSError, RuntimeError, ValueError):
                pass
            t += self.period
            self.stop.wait(max(0.0, t - time.monotonic()))


PERF_INTERVAL_MS = 250


def perf_start(pid, out):
    """perf stat counting system calls per thread of pid, a line per thread every
    PERF_INTERVAL_MS, until SIGINT; None if perf cannot start."""
    try:
        return subprocess.Popen(["perf", "stat", "-x", ",", "--per-thread", "-I",
                                 str(PERF_INTERVAL_MS), "-e", "raw_syscalls:sys_enter",
                                 "-p", str(pid), "-o", out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError:
        return None


def perf_counts(out):
    """{thread name: system calls} summed over the interval lines perf wrote so far."""
    counts = {}
    try:
        for line in open(out):
            f = line.strip().split(",")
            # -I --per-thread -x,: time,comm-tid,count,unit,event,...
            j = next((i for i, x in enumerate(f) if x.startswith("raw_syscalls:sys_enter")), -1)
            if j >= 3 and f[j - 2].isdigit():
                comm = f[j - 3].strip().rsplit("-", 1)[0]
                counts[comm] = counts.get(comm, 0) + int(f[j - 2])
    except OSError:
        pass
    return counts


def perf_ready(p, out, limit=90):
    """The counts so far once perf writes its first interval (its start-up in the
    test host VM takes seconds), or None if it did not within limit seconds."""
    end = time.monotonic() + limit
    while p is not None and p.poll() is None and time.monotonic() < end:
        c = perf_counts(out)
        if c:
            return c
        time.sleep(0.05)
    return None


def perf_read(p, out, before):
    """{thread name: system calls} since before (perf_ready's), or {"error": why}."""
    if p is None:
        return {"error": "perf not found"}
    if before is None:
        p.kill()
        return {"error": "perf did not start counting within 90 s"}
    _, err = p.communicate(timeout=120)  # SIGINT'ed after the last sample
    counts = {k: v - before.get(k, 0) for k, v in perf_counts(out).items()}
    return counts or {"error": (err.decode().strip().splitlines() or ["no output"])[-1]}


def phase(tmp, name, disk=None, net=None, guest=(), load=None, hz=0, perf=False,
          hv=HV, kernel=KERNEL, windows=WINDOWS):
    """One hv run: WINDOWS 1 s windows of the counters in load (dict label -> metric key)."""
    sock = os.path.join(tmp, name + ".sock")
    args = [hv, "run", "--timeout", "600", "--stats", "--mem", "64M", "--api-sock", sock]
    args += ["--disk", disk] if disk else []
    args += ["--net", net] if net else []
    args += [kernel, "--"] + list(guest)
    log = os.path.join(tmp, name + ".log")
    p = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    first = list(load.values())[0]
    res = {"name": name, "command": " ".join(args)}
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if metrics(sock).get(first, 0) > 0:
                    break
            except (OSError, RuntimeError, ValueError):
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("%s: no I/O within 60 s; hv: %s" % (
                name, " | ".join(open(log, errors="replace").read().splitlines()[-5:])))
        time.sleep(WARM)
        scraper = Scraper(sock, hz) if hz else None
        if scraper:
            scraper.start()
            time.sleep(1)  # the scraper under way before the first window
        pf = os.path.join(tmp, name + ".perf")
        # perf counts from its first interval before the first sample to just after
        # the last (SIGINT): what it counted before is subtracted (within one interval)
        prf = perf_start(p.pid, pf) if perf else None
        before = perf_ready(prf, pf) if perf else None
        # A scrape 1 s after the last one was sent, or at once if that one took
        # longer (no catching up on a schedule: that would make short windows),
        # until WINDOWS of them lasted 1 s +-10% on hv's clock or twice as many
        # were tried.
        samples, good = [], 0
        while good < windows and len(samples) < 2 * windows + 2:
            sent = time.monotonic()
            m = metrics(sock)
            # hv's clock when it read the counters; the host's after the reply without it
            samples.append((m.get(HV_CLOCK, time.monotonic()), m))
            if len(samples) > 1 and abs(samples[-1][0] - samples[-2][0] - 1) <= WINDOW_SLACK:
                good += 1
            if good < windows:
                time.sleep(max(0.0, sent + 1.0 - time.monotonic()))
        if prf and before is not None:
            prf.send_signal(signal.SIGINT)
        if scraper:
            scraper.stop.set()
            scraper.join()
            res["scraper"] = {"hz": hz, "scrapes": len(scraper.times),
                              "mean_ms": 1000 * sum(scraper.times) / max(1, len(scraper.times))}
        if perf:
            res["syscalls"] = perf_read(prf, pf, before)
    finally:
        try:
            http(sock, "PUT", "/actions", b'{"action_type": "shutdown"}')
        except (OSError, ValueError, IndexError):
            pass
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    res["log"] = open(log, errors="replace").read().splitlines()[-3:]
    res["log_path"] = log
    res["exit_status"] = p.returncode
    wins = []
    for (t0, a), (t1, b) in zip(samples, samples[1:]):
        w = {"seconds": round(t1 - t0, 4), "valid": abs(t1 - t0 - 1) <= WINDOW_SLACK}
        for label, key in load.items():
            w[label] = (b.get(key, 0) - a.get(key, 0)) / (t1 - t0)
        ops = b.get(first, 0) - a.get(first, 0)
        w["kvm_exits_per_op"] = (b[KVM_EXITS] - a[KVM_EXITS]) / ops if ops else None
        w["hv_returns_per_op"] = (b[HV_RETURNS] - a[HV_RETURNS]) / ops if ops else None
        wins.append(w)
    res["windows"] = wins
    tot = samples[-1][1].get(first, 0) - samples[0][1].get(first, 0)
    res["ops"] = tot
    res["seconds"] = samples[-1][0] - samples[0][0]
    for label in load:  # over the whole run, every window
        res["mean_" + label] = sum(w[label] * w["seconds"] for w in wins) / res_seconds(samples)
    res["kvm_exits_per_op"] = ((samples[-1][1][KVM_EXITS] - samples[0][1][KVM_EXITS]) / tot
                               if tot else None)
    res["hv_returns_per_op"] = ((samples[-1][1][HV_RETURNS] - samples[0][1][HV_RETURNS]) / tot
                                if tot else None)
    if isinstance(res.get("syscalls"), dict) and "error" not in res["syscalls"] and tot:
        # perf counted over the same span as the samples
        res["syscalls_per_op"] = {k: v / tot for k, v in res["syscalls"].items()}
        res["syscalls_per_op_all"] = sum(res["syscalls"].values()) / tot
    show(res)
    return res


def res_seconds(samples):
    return samples[-1][0] - samples[0][0]


def show(r):
    line = "bench-ratelimit: %s: " % r["name"] + ", ".join(
        "%s %.1f/s" % (k[5:], v) for k, v in r.items() if k.startswith("mean_"))
    line += ", KVM exits/op %s" % ("%.4f" % r["kvm_exits_per_op"]
                                   if r["kvm_exits_per_op"] is not None else "n/a")
    if "syscalls_per_op" in r:
        line += ", syscalls/op %s" % ", ".join(
            "%s %.3f" % kv for kv in sorted(r["syscalls_per_op"].items()))
    elif "syscalls" in r:
        line += ", syscalls: %s" % r["syscalls"].get("error")
    if "scraper" in r:
        line += ", scraper %d GETs, %.1f ms each" % (r["scraper"]["scrapes"], r["scraper"]["mean_ms"])
    print(line, flush=True)


def judged(r, label, setting):
    """The 1 s windows of r's label against setting: each ratio, and met (all within 5%,
    at least five of them).  Windows that did not last 1 s +-10% are shown, not judged."""
    ratios, others = [], []
    for i, w in enumerate(r["windows"]):
        x = w[label] / setting
        print("bench-ratelimit: %s window %d (%.3f s%s): %.1f/s, %.4f of the %d/s limit" %
              (r["name"], i + 1, w["seconds"], "" if w["valid"] else ", not a 1 s window",
               w[label], x, setting), flush=True)
        (ratios if w["valid"] else others).append(x)
    met = len(ratios) >= 5 and all(abs(x - 1) <= TOLERANCE for x in ratios)
    print("bench-ratelimit: %s: %s (%d 1 s windows, every one within %d%%)" %
          (r["name"], "met" if met else "NOT met", len(ratios), TOLERANCE * 100), flush=True)
    return {"setting_per_s": setting, "per": label, "ratios": ratios,
            "min_ratio": min(ratios) if ratios else None,
            "max_ratio": max(ratios) if ratios else None, "within_5pct": met,
            "not_1s_windows": len(others), "run": r}


def blk(tmp, name, opts="", workload="randread-4k-qd32", **kw):
    return phase(tmp, name, disk="null:256M" + opts,
                 guest=["blkbench", BLK, "--time", "3600", workload],
                 load={"ops": dev("requests", BLK), "bytes": dev("bytes", BLK)}, **kw)


def nic(tmp, name, opts="", **kw):
    return phase(tmp, name, net="loop" + opts,
                 guest=["netloop", NET, "4000000000", "--window", "64"],
                 load={"tx_frames": dev("tx_frames", NET), "tx_bytes": dev("tx_bytes", NET),
                       "rx_frames": dev("rx_frames", NET), "rx_bytes": dev("rx_bytes", NET)},
                 **kw)


def io_syscalls(rs):
    """The I/O thread's system calls per request over runs rs, or None without perf."""
    xs = [r["syscalls_per_op"].get("hv-io", 0.0) for r in rs if "syscalls_per_op" in r]
    return sum(xs) / len(xs) if len(xs) == len(rs) else None


def mean(rs, key):
    return sum(r[key] for r in rs) / len(rs)


def main(argv):
    if len(argv) not in (1, 3):
        sys.exit(__doc__)
    out, nolimit = argv[0], argv[1:] or None
    tmp = tempfile.mkdtemp(prefix="bench-ratelimit.")
    res = {"when": benchlib.now(), "where": None, "windows": WINDOWS, "warm_s": WARM,
           "tolerance": TOLERANCE, "fraction_of_unlimited": FRACTION,
           "source": "hv's counters from GET /metrics, scraped by the host once a second; "
                     "window rate = counter difference / difference of hv_metrics_read_seconds "
                     "(hv's clock when it read them)",
           "load_note": "run in the test host VM (QEMU TCG, one vCPU: hv's threads, this sampler and the scraper share it); "
                        "the machine's own load is the host load average above, when the run recorded it",
           "loadavg_start": os.getloadavg()}
    # Metrics without cost: a 10 Hz scraper or not, interleaved twice.
    scr = {"off": [], "on": []}
    for rep in (1, 2):
        scr["off"].append(blk(tmp, "scrape-off-%d" % rep, perf=True))
        scr["on"].append(blk(tmp, "scrape-10hz-%d" % rep, hz=10, perf=True))
    res["scraper"] = {k: {"iops": mean(v, "mean_ops"),
                          "kvm_exits_per_op": mean(v, "kvm_exits_per_op"),
                          "hv_returns_per_op": mean(v, "hv_returns_per_op"),
                          "io_syscalls_per_op": io_syscalls(v), "runs": v}
                      for k, v in scr.items()}
    base_ops = res["scraper"]["off"]["iops"]
    # Disk limits, 0.4x what was just measured.
    lim_ops = int(base_ops * FRACTION)
    res["disk_ops"] = judged(blk(tmp, "disk-iops", ",iops=%d" % lim_ops), "ops", lim_ops)
    seq = blk(tmp, "disk-seq-unlimited", workload="seqread-128k-qd8")
    lim_bytes = int(seq["mean_bytes"] * FRACTION)
    res["disk_bytes"] = judged(blk(tmp, "disk-bps", ",bps=%d" % lim_bytes,
                                   workload="seqread-128k-qd8"), "bytes", lim_bytes)
    res["disk_bytes"]["unlimited"] = seq
    # No cost when unset.
    cost = {"unset": blk(tmp, "cost-unset", perf=True),
            "far_above": blk(tmp, "cost-far-above", ",iops=1G,bps=1000G", perf=True)}
    if nolimit:
        cost["no_limit_code"] = blk(tmp, "cost-no-limit-code", perf=True, hv=nolimit[0],
                                    kernel=nolimit[1])
    cost["unset_again"] = blk(tmp, "cost-unset-again", perf=True)
    res["unset_cost"] = cost
    # The NIC, each direction.
    base = nic(tmp, "nic-unlimited")
    res["nic_unlimited"] = base
    for d in ("tx", "rx"):
        pps = int(base["mean_%s_frames" % d] * FRACTION)
        bps = int(base["mean_%s_bytes" % d] * FRACTION)
        res["nic_%s_pps" % d] = judged(nic(tmp, "nic-%s-pps" % d, ",%s-pps=%d" % (d, pps)),
                                       "%s_frames" % d, pps)
        res["nic_%s_bps" % d] = judged(nic(tmp, "nic-%s-bps" % d, ",%s-bps=%d" % (d, bps)),
                                       "%s_bytes" % d, bps)
    res["loadavg_end"] = os.getloadavg()
    logs = [os.path.join(tmp, f) for f in sorted(os.listdir(tmp)) if f.endswith(".log")]
    res["where"] = benchlib.where(logs)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(out + ".tmp", out)
    met = [k for k in res if isinstance(res[k], dict) and "within_5pct" in res[k]]
    print("bench-ratelimit: %d of %d limits met the 5%% criterion in every window; wrote %s" %
          (sum(res[k]["within_5pct"] for k in met), len(met), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
