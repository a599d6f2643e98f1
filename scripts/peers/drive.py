#!/usr/bin/env python3
"""One boot of the Linux peer guest (scripts/peers/init) under QEMU or hv for
make bench: every workload in turn over the serial handshake, KVM's exit
counters and the VMM's CPU time snapshotted around each one, less what the
window holds besides the workload.

  drive.py --path hv-linux|hv-linux-batch|qemu-virtio|qemu-emulated --rep N --raw DIR --image IMG
           --drive-opts OPTS --ns NETNS --secs S --net-secs S --net-rr N
           [--timeout S]

The VMM (QEMU, or hv for hv-linux: the same kernel and initramfs on hv's PV
disk and NIC) runs inside network namespace NETNS (its tap0 is 10.0.0.1; the guest
10.0.0.2), its serial port on this process's pipes.  Per workload W it
writes DIR/peer-PATH-W-REP.json (one JSON object) or, if W failed,
DIR/peer-PATH-W-REP.why (the reason, one line), and the tools' own output
to DIR/peer-PATH-W-REP.show; the whole console goes to
DIR/peer-PATH-REP.console.  Exit status 0 when the boot served every
workload, 1 otherwise (and 2 for bad arguments).

The window of a workload is: the host snapshots, sends "go" (for a host-side
client: runs the client, then sends "go"), the guest answers "@@done"; the
host snapshots again.  A block workload's window also holds fio's start-up
and teardown: before it, the same fio stopping after its first I/O runs in a
window of its own, the baseline, whose exits, CPU time and I/Os are subtracted
(baseline_exits).  A network window's baseline is the "idle" window, the
handshake alone (its guest tools start before the window or are small)."""
import argparse
import glob
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import benchlib  # noqa: E402

BLOCK = ["randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8", "randwrite-4k-qd1"]
BS_QD = {"randread-4k-qd1": (4096, 1), "randread-4k-qd32": (4096, 32),
         "seqread-128k-qd8": (131072, 8), "randwrite-4k-qd1": (4096, 1)}
NET = ["tcp-h2g", "tcp-g2h", "udp-rr"]
PATHS = ("hv-linux", "hv-linux-batch", "qemu-virtio", "qemu-emulated")
HV_DISK = "hvblk0"  # the Linux name of hv's first PV disk (pv-drivers/linux)
# KVM's debugfs files (VM level: the sum over vCPUs) and their names here.
KINDS = benchlib.KIND_STATS  # the same kinds as hv's guest reports
KVM_FILES = ["exits", "irq_injections"] + sorted(KINDS.values())
HOST, GUEST = "10.0.0.1", "10.0.0.2"
DEBUGFS = "/sys/kernel/debug/kvm"


class Failed(Exception):
    pass


class Guest:
    """QEMU with the guest's serial port on our pipes, read line by line."""

    def __init__(self, cmd, console):
        self.console = open(console, "w")
        self.lines = queue.Queue()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in iter(self.p.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.console.write(line + "\n")
            self.console.flush()
            self.lines.put(line)
        self.lines.put(None)  # QEMU's end

    def send(self, line):
        try:
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
        except OSError as e:
            raise Failed("cannot write to QEMU's serial port: %s" % e)

    def expect(self, prefix, timeout, collect=None):
        """The first line starting with PREFIX (lines before it into COLLECT)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise Failed("no '%s' from the guest within %d s" % (prefix, timeout))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.p.wait()
                raise Failed("QEMU exited (status %s) while waiting for '%s'%s" % (
                    self.p.returncode, prefix, self.last_words()))
            # A marker counts anywhere in a line: stray output without its own
            # newline (a tool writing to the console) must not hide it.
            if prefix in line:
                return line[line.index(prefix):]
            for bad in ("@@fatal", "@@error"):
                if bad in line:
                    raise Failed("guest: " + line[line.index(bad) + 2:])
            if collect is not None:
                collect.append(line)

    def last_words(self):
        self.console.flush()
        try:
            tail = [l.strip() for l in open(self.console.name, errors="replace")][-3:]
        except OSError:
            tail = []
        return ": " + " | ".join(l for l in tail if l) if any(tail) else ""

    def stop(self):
        if self.p.poll() is None:
            try:
                self.send("quit")
                self.p.wait(timeout=20)
            except (Failed, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()
        self.console.close()


def kvm_dir(g, timeout=120):
    """KVM's debugfs directory of the VM the VMM made: PID-FD.  The VMM reads
    the kernel and initramfs (tens of MB over the test host VM's 9p) first:
    30 s was too short on a loaded machine."""
    pid, end = g.p.pid, time.monotonic() + timeout
    while time.monotonic() < end:
        if g.p.poll() is not None:  # QEMU refused its arguments or KVM
            time.sleep(0.5)  # its last words to the console first
            raise Failed("QEMU exited (status %d) at start%s" % (g.p.returncode, g.last_words()))
        d = glob.glob("%s/%d-*" % (DEBUGFS, pid))
        if len(d) == 1 and os.path.exists(os.path.join(d[0], "exits")):
            return d[0]
        if len(d) > 1:
            raise Failed("QEMU (pid %d) has %d VMs in %s" % (pid, len(d), DEBUGFS))
        time.sleep(0.2)
    raise Failed("no %s/%d-* (is debugfs mounted, did QEMU create its VM?)" % (DEBUGFS, pid))


def ns_run(ns, cmd, timeout):
    return subprocess.run(["ip", "netns", "exec", ns] + cmd, capture_output=True, text=True,
                          timeout=timeout)


def tap_packets(ns):
    r = subprocess.run(["ip", "-n", ns, "-j", "-s", "link", "show", "dev", "tap0"],
                       capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise Failed("ip -n %s link show tap0: %s" % (ns, r.stderr.strip()))
    s = json.loads(r.stdout)[0]["stats64"]
    return s["rx"]["packets"] + s["tx"]["packets"]


def snapshot(kdir, pid, ns):
    s = {}
    for f in KVM_FILES:
        with open(os.path.join(kdir, f)) as fh:
            s[f] = int(fh.read())
    # utime + stime of every thread, the guest's time included (hv: getrusage).
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    s["cpu_us"] = (int(fields[11]) + int(fields[12])) * 1e6 / os.sysconf("SC_CLK_TCK")
    s["frames"] = tap_packets(ns)
    s["t"] = time.monotonic()
    return s


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


class Host:
    """A server in the namespace for the guest's client (tcp-g2h)."""

    def __init__(self, ns, cmd, port):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        for _ in range(100):
            r = ns_run(ns, ["ss", "-ltnH", "sport = :%d" % port], 10)
            if r.stdout.strip():
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise Failed("the host's %s does not listen on port %d" % (cmd[0], port))

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        return self.p.communicate()[0]


def window(g, a, name, kind, host_client=None, secs=None):
    """One workload's handshake; (counter deltas, host client output or None)."""
    client_out = None
    if kind == "serve":
        g.send("serve " + name)
    else:
        g.send("run %s %s" % (name, a.secs if secs is None else secs))
    g.expect("@@armed " + name, 60)
    s0 = snapshot(a.kdir, g.p.pid, a.ns)
    if host_client:
        why = None
        try:
            r = ns_run(a.ns, host_client, 120)
            client_out = r.stdout + r.stderr
            if r.returncode != 0:
                why = "the host's client '%s' failed (exit status %d): %s" % (
                    " ".join(host_client), r.returncode, client_out.strip()[-300:])
        except subprocess.TimeoutExpired:
            why = "the host's client '%s' ran past 120 s" % " ".join(host_client)
        if why:
            # Close the window and stop the guest's server before saying so:
            # the guest waits for "go", and the next workload must find it ready.
            g.send("go")
            g.expect("@@done " + name, 60)
            show(g, name)
            raise Failed(why)
    g.send("go")
    limit = 120 + (float(a.secs) if name in BS_QD else 0)
    done = g.expect("@@done " + name, limit)
    s1 = snapshot(a.kdir, g.p.pid, a.ns)
    rc = done.split("rc=")[-1]
    return delta(s0, s1), client_out, rc


def show(g, name):
    g.send("show " + name)
    g.expect("@@show " + name, 30)
    out = []
    g.expect("@@end " + name, 30, out)
    return "\n".join(out) + "\n"


def per(d, base, n):
    """Counts per unit (I/O or frame) after the baseline window's."""
    if not n:
        return None, None, None
    if d["exits"] < base["exits"]:
        # The run left the guest less often than its baseline did: start-up
        # was slower than the workload (a loaded machine, a few I/Os), and
        # the difference would be a false 0, not a figure.
        raise Failed("the run took %d exits, fewer than its baseline's %d: too few units (%d) "
                     "to subtract start-up from" % (d["exits"], base["exits"], n))
    c = {f: max(0, d[f] - base[f]) for f in KVM_FILES}
    return (c["exits"] / n, c["irq_injections"] / n,
            {k: round(c[f] / n, 3) for k, f in KINDS.items()})


def fio_job(name, text):
    """fio's JSON report: (its job, the direction's figures)."""
    try:
        job = json.loads(text[text.index("{"):])["jobs"][0]
        return job, job["write" if name.startswith("randwrite") else "read"]
    except (ValueError, KeyError, IndexError) as e:
        raise Failed("fio's JSON output unreadable (%s): %s" % (e, text.strip()[-300:]))


def cpu_per(us, n):
    """CPU time per unit, or None when the difference is under two clock ticks
    of /proc/PID/stat: not resolved, rather than a false 0."""
    return round(us / n, 2) if us >= 2e6 / os.sysconf("SC_CLK_TCK") else None


def block_result(a, name, d, base, text, base_text, engine):
    job, io = fio_job(name, text)
    ios, secs = io["total_ios"], job["job_runtime"] / 1e3
    if not ios or secs <= 0:
        raise Failed("fio did no I/O: %s" % text.strip()[-300:])
    base_ios = fio_job(name, base_text)[1]["total_ios"]  # 1, or up to the depth
    if ios <= base_ios:
        raise Failed("fio did %d I/Os, no more than its %d-I/O baseline" % (ios, base_ios))
    bs, qd = BS_QD[name]
    # Submission to completion, as hv's blkbench times a request: fio's lat
    # (with --lat_percentiles=1 its p99 too); else the completion latency's p99.
    if "percentile" in io["lat_ns"]:
        p99, src = io["lat_ns"]["percentile"]["99.000000"], "fio lat_ns (mean, p99)"
    else:
        p99, src = io["clat_ns"]["percentile"]["99.000000"], "fio lat_ns mean, clat_ns p99"
    iops = ios / secs
    # Per I/O of the run less its baseline: fio's start-up and teardown, the
    # handshake and the baseline's own few I/Os are not the workload's.
    epi, ipi, kinds = per(d, base, ios - base_ios)
    return {"system": a.system, "path": a.path, "workload": name, "qd": qd, "ios": ios,
            "seconds": round(secs, 3), "iops": round(iops, 1), "mbps": round(iops * bs / 1e6, 2),
            "lat_us_mean": round(io["lat_ns"]["mean"] / 1e3, 2),
            "lat_us_p99": round(p99 / 1e3, 2), "lat_source": src,
            "clat_us_mean": round(io["clat_ns"]["mean"] / 1e3, 2),
            "exits_per_io": round(epi, 3), "irqs_per_io": round(ipi, 3),
            "cpu_us_per_io": cpu_per(d["cpu_us"] - base["cpu_us"], ios - base_ios),
            "kinds_per_io": kinds, "baseline_exits": base["exits"], "baseline_ios": base_ios,
            "baseline": "the same fio stopping after its first I/O (--number_ios=1)",
            "disk": a.disk_label, "engine": engine,
            "vmm_version": a.vmm_version, "guest_kernel": a.guest_kernel,
            "window_s": round(d["t"], 3), "cpu_source": a.vmm + " /proc/PID/stat utime+stime"}


def max_lost(requests):
    """Round trips a udp-rr run may lose and still count: 1%."""
    return requests // 100


def net_result(a, name, d, idle, text):
    r = {"system": a.system, "path": a.path, "workload": name, "mbit_s": None,
         "p50_us": None, "p99_us": None, "mean_us": None, "rr_per_s": None}
    if name.startswith("tcp-"):
        m = [benchlib.IPERF_CSV.match(l) for l in text.splitlines()]
        m = [x for x in m if x]
        if not m:
            raise Failed("no iperf CSV line in: %s" % text.strip()[-300:])
        r["mbit_s"] = round(int(m[-1].group(1)) / 1e6, 2)
    else:
        js = [l for l in text.splitlines() if l.startswith("{")]
        if not js:
            raise Failed("no net-rr JSON line in: %s" % text.strip()[-300:])
        rr = json.loads(js[-1])
        # UDP may lose a datagram on a loaded host: up to 1% (net-rr's
        # --max-lost below) is reported with the figures, more fails the run.
        if rr["lost"] > max_lost(rr["requests"]):
            raise Failed("net-rr lost %d of %d round trips" % (rr["lost"], rr["requests"]))
        r.update({k: rr[k] for k in ("p50_us", "p99_us", "mean_us", "rr_per_s", "lost")})
    frames = d["frames"]
    epf, ipf, kinds = per(d, idle, frames)
    # Tap packets both ways; virtio-net negotiates TSO/GSO with the tap, so a
    # frame of its TCP rows can carry up to 64 KiB (e1000's carry one MTU).
    r.update({"frames": frames, "frames_source": "tap0 rx_packets + tx_packets",
              "exits_per_frame": epf and round(epf, 3),
              "irqs_per_frame": ipf and round(ipf, 3),
              "cpu_us_per_frame": round(d["cpu_us"] / frames, 2) if frames else None,
              "kinds_per_frame": kinds, "handshake_exits": idle["exits"],
              "window_s": round(d["t"], 3), "nic": a.nic_label,
              "vmm_version": a.vmm_version, "guest_kernel": a.guest_kernel,
              "cpu_source": a.vmm + " /proc/PID/stat utime+stime"})
    return r


def qemu_cmd(a):
    dev, disk = ("vda", ["-device", "virtio-blk-pci,drive=disk0"]) if a.path == "qemu-virtio" \
        else ("sda", ["-device", "ahci,id=ahci0", "-device", "ide-hd,drive=disk0,bus=ahci0.0"])
    nic = "virtio-net-pci" if a.path == "qemu-virtio" else "e1000"
    return ["ip", "netns", "exec", a.ns, "qemu-system-x86_64", "-accel", "kvm", "-cpu", "host",
            "-smp", "1", "-m", "256M", "-nodefaults", "-display", "none", "-no-reboot",
            "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
            "-kernel", a.kernel, "-initrd", a.initrd,
            # rootfstype=ramfs: the initramfs's 90 MB (fio's libraries) do not fit
            # the default tmpfs root, half of 256M less the kernel ("write error").
            "-append", "console=ttyS0 panic=-1 quiet loglevel=0 rootfstype=ramfs peers.disk=" + dev,
            "-drive", "file=%s,format=raw,if=none,id=disk0,%s" % (a.image, a.drive_opts)] + disk + \
        ["-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no,vhost=off",
         "-device", nic + ",netdev=net0"]


def hv_cmd(a):
    """hv with the same kernel, initramfs and command line, its PV disk and
    NIC (the modules scripts/peers/init loads find them; the virtio ones find
    nothing), on the same image and the same tap.  hv-linux-batch: the same
    with --io-batch (hv's I/O thread as SCHED_BATCH)."""
    return ["ip", "netns", "exec", a.ns, a.hv, "run", "--mem", "256M"] + \
        (["--io-batch"] if a.path == "hv-linux-batch" else []) + [
            "--initrd", a.initrd, "--disk", a.image + a.hv_disk_opts, "--net", "tap:tap0",
            a.kernel, "--", "console=ttyS0 panic=-1 quiet loglevel=0 rootfstype=ramfs "
            "peers.disk=" + HV_DISK]


def main():
    ap = argparse.ArgumentParser()
    for o in ("--path", "--raw", "--image", "--drive-opts", "--ns", "--secs"):
        ap.add_argument(o, required=True)
    ap.add_argument("--rep", type=int, required=True)
    ap.add_argument("--net-secs", default="5")
    ap.add_argument("--net-rr", default="2000")
    ap.add_argument("--kernel", default="build/testvm/vmlinux")
    ap.add_argument("--initrd", default="build/peers/initramfs.cpio.gz")
    ap.add_argument("--net-rr-bin", default="build/bench/net-rr")
    ap.add_argument("--hv", default="build/hv")
    ap.add_argument("--timeout", type=float, default=1200, help="the whole boot, seconds")
    a = ap.parse_args()
    if a.path not in PATHS:
        ap.error("--path: %s, not '%s'" % (" or ".join(PATHS), a.path))
    if not re.match(r"^[0-9]+(\.[0-9]+)?$", a.secs) or float(a.secs) <= 0:
        ap.error("--secs '%s' is not a positive number of seconds" % a.secs)
    workloads = BLOCK + NET
    base = lambda w: os.path.join(a.raw, "peer-%s-%s-%d" % (a.path, w, a.rep))
    for w in workloads:
        for ext in (".json", ".why", ".show"):
            if os.path.exists(base(w) + ext):
                os.unlink(base(w) + ext)
    hv = a.path.startswith("hv-linux")
    a.system, a.vmm = ("hv-linux", "hv") if hv else ("qemu-linux", "QEMU")
    a.hv_disk_opts = ""
    a.disk_label = "hv PV disk (io_uring)" if hv else \
        ("virtio-blk " if a.path == "qemu-virtio" else "ahci ide-hd ") + \
        " ".join(o for o in a.drive_opts.split(",") if o.startswith(("cache=", "aio=")))
    a.nic_label = "hv PV NIC (tap)" if hv else "virtio-net (userspace, vhost=off)" \
        if a.path == "qemu-virtio" else "e1000 (emulated)"
    why = {}
    # What ran, next to its figures: the VMM's version and the guest's kernel.
    try:
        a.vmm_version = subprocess.run([a.hv if hv else "qemu-system-x86_64", "--version"],
                                       capture_output=True, text=True,
                                       timeout=30).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        a.vmm_version = None
    try:
        a.guest_kernel = open(os.path.join(os.path.dirname(a.kernel), "kver")).read().strip()
    except OSError:
        a.guest_kernel = None

    def fail_rest(reason):
        for w in workloads:
            if w not in why and not os.path.exists(base(w) + ".json"):
                why[w] = reason

    for f in (a.image, a.kernel, a.initrd, a.net_rr_bin) + ((a.hv,) if hv else ()):
        if not os.path.isfile(f):
            fail_rest("%s missing" % f)
    g = None
    deadline = time.monotonic() + a.timeout

    def past(reason):  # the whole boot's timer killed QEMU: say so first
        if time.monotonic() < deadline:
            return reason
        return "the boot ran past --timeout %d s (%s)" % (a.timeout, reason)

    # The whole boot under one deadline: a guest that stops answering cannot hang make bench.
    timer = None
    if not why:
        t0 = time.monotonic()
        try:
            g = Guest(hv_cmd(a) if hv else qemu_cmd(a), os.path.join(a.raw, "peer-%s-%d.console" % (a.path, a.rep)))
            timer = threading.Timer(a.timeout, g.p.kill)
            timer.start()
            a.kdir = kvm_dir(g)
            ready = g.expect("@@ready", 180)
            engine = re.search(r"engine=(\S+)", ready).group(1)
            print("drive: %s rep %d: guest ready after %.1f s (%s)" % (
                a.path, a.rep, time.monotonic() - t0, ready[2:]), file=sys.stderr)
            idle, _, _ = window(g, a, "idle", "run")
            for w in workloads:
                try:
                    srv = None
                    if w in BS_QD:
                        base_d, _, rc = window(g, a, w, "run", secs="0")
                        base_text = show(g, w)
                        if rc != "0":
                            raise Failed("the guest's baseline fio exited with status %s: %s" % (
                                rc, base_text.strip()[-300:]))
                        d, _, rc = window(g, a, w, "run")
                        text = show(g, w)
                    elif w == "tcp-h2g":
                        d, text, rc = window(g, a, w, "serve", [
                            "iperf", "-c", GUEST, "-t", a.net_secs, "-y", "C"])
                        show(g, w)
                    elif w == "tcp-g2h":
                        srv = Host(a.ns, ["iperf", "-s"], 5001)
                        d, _, rc = window(g, a, w, "run")
                        text = show(g, w)
                    else:
                        d, text, rc = window(g, a, w, "serve", [
                            a.net_rr_bin, "ping", GUEST, "7", "--count", a.net_rr,
                            "--max-lost", str(max_lost(int(a.net_rr))), "--json"])
                        show(g, w)
                    if srv:
                        srv.stop()
                    with open(base(w) + ".show", "w") as fh:
                        fh.write(text)
                    if rc != "0":
                        # fio's own error lines, not the tail of its JSON.
                        errs = [l for l in text.splitlines() if l.startswith("fio:")]
                        raise Failed("the guest's %s exited with status %s: %s" % (
                            "fio" if w in BS_QD else "iperf", rc,
                            " | ".join(errs[-3:]) if errs else text.strip()[-300:]))
                    r = block_result(a, w, d, base_d, text, base_text, engine) if w in BS_QD \
                        else net_result(a, w, d, idle, text)
                    with open(base(w) + ".json", "w") as fh:
                        json.dump(r, fh)
                        fh.write("\n")
                except (Failed, ValueError, KeyError, TypeError, AttributeError) as e:
                    # A tool's output this code did not expect is that workload's
                    # failure, with its reason; the next workload still runs.
                    if srv:
                        srv.stop()
                    why[w] = past(str(e) if isinstance(e, Failed) else
                                  "%s: %s" % (type(e).__name__, e))
                    if g.p.poll() is not None:
                        raise Failed(why[w])
        except Exception as e:  # noqa: BLE001: whatever stopped the boot is every rest's reason
            fail_rest("%s boot %d: %s" % (a.path, a.rep, past(
                str(e) if isinstance(e, (Failed, OSError, subprocess.TimeoutExpired))
                else "%s: %s" % (type(e).__name__, e))))
        finally:
            if g:
                g.stop()
            if timer:
                timer.cancel()
        print("drive: %s rep %d: boot and workloads took %.1f s" % (
            a.path, a.rep, time.monotonic() - t0), file=sys.stderr)
    for w, r in why.items():
        with open(base(w) + ".why", "w") as fh:
            fh.write(r.replace("\n", " ") + "\n")
        print("drive: %s %s rep %d failed: %s" % (a.path, w, a.rep, r), file=sys.stderr)
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
