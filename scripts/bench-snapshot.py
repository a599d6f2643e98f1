#!/usr/bin/env python3
"""Measures snapshot and restore (scripts/bench-snapshot.sh runs it where KVM is).

usage: bench-snapshot.py OUT.json RUNS [WHERE]

For 64 MiB and 1 GiB of guest RAM: a cold boot of `snapcount 1000000 0` (a
line per step from the first) and a restore of its snapshot, each timed from
exec to the guest's first output line, RUNS times (median, min, max), with
hv's own phases (--verbose); the snapshot's create time (the API's reply and
the wall time of PUT /snapshot/create); and, with a disk, `snapio`'s second
pass of 100 reads on a warm VM against the same pass right after a restore.
Prints everything; asserts nothing."""
import json, os, re, select, shutil, socket, statistics, subprocess, sys, tempfile, time

HV, KERNEL = "build/hv", "build/guest-kernel.elf"


def api(sock, method, path, body=None):
    """One HTTP request on hv's control socket; (status, parsed JSON body)."""
    data = json.dumps(body).encode() if body is not None else b""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(120)
    s.connect(sock)
    s.sendall(("%s %s HTTP/1.1\r\nHost: hv\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\nConnection: close\r\n\r\n" % (method, path, len(data))).encode() + data)
    resp = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        resp += chunk
    s.close()
    head, _, body = resp.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body or b"null")


def wait_api(sock, limit=30):
    end = time.time() + limit
    while time.time() < end:
        try:
            return api(sock, "GET", "/vm")
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("hv's control socket never answered")


def first_line(args, limit=120):
    """Runs hv; seconds from exec to its first stdout line, its stderr, then kills it."""
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r, _, _ = select.select([p.stdout], [], [], limit)
    line = p.stdout.readline() if r else b""
    t = time.monotonic() - t0
    p.kill()
    _, err = p.communicate()
    if not line:
        raise RuntimeError("no output from %s: %s" % (" ".join(args), err.decode()[-300:]))
    return t, err.decode()


def phases(err, what):
    m = re.search(r"hv: %s phases \(ms\): (.*); total ([0-9.]+)" % what, err)
    if not m:
        return None
    out = {}
    for part in m.group(1).split(", "):
        name, ms = part.rsplit(" ", 1)
        out[name] = float(ms)
    out["total"] = float(m.group(2))
    return out


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def take_snapshot(tmp, name, run_args, wait_s=1.0):
    """Starts hv with a control socket, lets the guest run wait_s, pauses, snapshots."""
    sock, path = os.path.join(tmp, name + ".sock"), os.path.join(tmp, name)
    p = subprocess.Popen([HV, "run", "--api-sock", sock] + run_args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_api(sock)
    time.sleep(wait_s)
    st, _ = api(sock, "PUT", "/actions", {"action_type": "pause"})
    if st != 200:
        raise RuntimeError("pause: HTTP %d" % st)
    t0 = time.monotonic()
    st, reply = api(sock, "PUT", "/snapshot/create", {"path": path})
    wall = time.monotonic() - t0
    # The VM stays paused after a snapshot: end it.
    api(sock, "PUT", "/actions", {"action_type": "shutdown"})
    p.wait(60)
    if st != 200:
        raise RuntimeError("snapshot create: HTTP %d %s" % (st, reply))
    return path, {"create_ms_hv": reply["create_ms"], "create_wall_ms": wall * 1e3,
                  "state_bytes": os.path.getsize(path),
                  "mem_file_bytes": os.path.getsize(path + ".mem"),
                  "mem_file_allocated_bytes": os.stat(path + ".mem").st_blocks * 512}


def measure_size(tmp, mem, runs):
    prog = ["--", "snapcount", "1000000", "0"]
    boots, boot_ph, restores, restore_ph = [], [], [], []
    for _ in range(runs):
        t, err = first_line([HV, "run", "--verbose", "--mem", mem, KERNEL] + prog)
        boots.append(t * 1e3)
        boot_ph.append(phases(err, "boot"))
    path, create = take_snapshot(tmp, "s" + mem, ["--mem", mem, KERNEL] + prog)
    for _ in range(runs):
        t, err = first_line([HV, "run", "--verbose", "--restore", path])
        restores.append(t * 1e3)
        restore_ph.append(phases(err, "restore"))
    os.unlink(path)
    os.unlink(path + ".mem")

    def med_phases(ps):
        ps = [p for p in ps if p]
        return {k: statistics.median(p[k] for p in ps) for k in ps[0]} if ps else None
    return {"mem": mem, "cold_boot_to_first_output_ms": summary(boots),
            "restore_to_first_output_ms": summary(restores),
            "boot_phases_ms": med_phases(boot_ph), "restore_phases_ms": med_phases(restore_ph),
            "create": create}


def snapio_line(out):
    m = re.search(r"snapio: (\d+) reads: first (\d+) ns, median (\d+) ns, max (\d+) ns, total (\d+) ns", out)
    if not m:
        raise RuntimeError("no snapio result in: %s" % out[-300:])
    n, first, med, mx, total = map(int, m.groups())
    return {"reads": n, "first_us": first / 1e3, "median_us": med / 1e3, "max_us": mx / 1e3,
            "total_us": total / 1e3}


def measure_io(tmp, reps=3):
    """snapio's second pass: reps warm runs, reps restores of one snapshot (medians)."""
    img = os.path.join(tmp, "io.img")
    with open(img, "wb") as f:
        f.write(os.urandom(8 << 20))
    prog = ["--disk", img, KERNEL, "--", "snapio", "pvblk0", "4", "100"]
    warm, rest = [], []
    for _ in range(reps):
        r = subprocess.run([HV, "run", "--timeout", "120"] + prog, capture_output=True, timeout=180)
        warm.append(snapio_line(r.stdout.decode()))
    path, _ = take_snapshot(tmp, "io", ["--timeout", "120"] + prog, wait_s=1.5)
    for _ in range(reps):
        r = subprocess.run([HV, "run", "--timeout", "120", "--disk", img, "--restore", path],
                           capture_output=True, timeout=180)
        rest.append(snapio_line(r.stdout.decode()))

    def med(rs):
        return {k: statistics.median(x[k] for x in rs) for k in rs[0]}
    w, a = med(warm), med(rest)
    return {"runs": reps, "warm_vm": w, "after_restore": a, "total_ratio": a["total_us"] / w["total_us"],
            "first_ratio": a["first_us"] / w["first_us"], "warm_runs": warm, "restore_runs": rest}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, runs = sys.argv[1], int(sys.argv[2])
    where = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else "this machine's /dev/kvm"
    tmp = tempfile.mkdtemp(prefix="hv-bench-snap-")
    try:
        sizes = [measure_size(tmp, m, runs) for m in ("64M", "1G")]
        io = measure_io(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r64, r1g = (s["restore_to_first_output_ms"]["median"] for s in sizes)
    p64, p1g = (s["restore_phases_ms"]["total"] for s in sizes)
    res = {"where": where, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "runs": runs, "sizes": sizes, "first_100_reads": io,
           "restore_ratio_1g_over_64m": {"to_first_output": r1g / r64, "hv_phases": p1g / p64},
           "anchor": "Firecracker: restore < 8 ms (5 ms p90), 2 vCPU / 512 MiB, on hardware"}
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print("bench-snapshot: %s, %d runs each (medians; TCG makes every figure slow)" % (where, runs))
    for s in sizes:
        c = s["create"]
        print("  %-4s cold boot to first output %8.1f ms   restore to first output %8.1f ms" % (
            s["mem"], s["cold_boot_to_first_output_ms"]["median"], s["restore_to_first_output_ms"]["median"]))
        print("       boot phases    %s" % s["boot_phases_ms"])
        print("       restore phases %s" % s["restore_phases_ms"])
        print("       create %.1f ms (hv), %.1f ms (wall); state %d bytes, RAM file %d bytes (%d allocated)" % (
            c["create_ms_hv"], c["create_wall_ms"], c["state_bytes"], c["mem_file_bytes"],
            c["mem_file_allocated_bytes"]))
    print("  restore 1 GiB / 64 MiB: %.2f (to first output), %.2f (hv's phases)" % (
        r1g / r64, p1g / p64))
    print("  first 100 reads: warm VM %s" % io["warm_vm"])
    print("                   after restore %s (total %.2fx, first read %.1fx; medians of %d)" % (
        io["after_restore"], io["total_ratio"], io["first_ratio"], io["runs"]))
    print("bench-snapshot: wrote %s" % out)


if __name__ == "__main__":
    main()
