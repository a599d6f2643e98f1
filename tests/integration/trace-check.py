#!/usr/bin/python3
"""Checks an hv --trace file (Chrome trace event JSON, docs/TRACE.md).

trace-check.py FILE QUEUE MIN [--require STAGE,...] [--last-open] [--kvm-exits]
trace-check.py --each NAME FILE QUEUE MIN [OPTION...] [--each NAME FILE ...]...

The file parses; every event has a known phase and a timestamp; each lane's
timestamps never go back; the vCPU's exits are balanced B/E pairs; KVM's
counters are there.  For QUEUE (e.g. "pvblk0", "pvnet0 tx", "trapblk0",
"trapnet0 rx"), each request (take ... post of one request id) has its
stages in order:

  doorbell <= take <= sqe <= io_uring_submit <= cqe <= post <= publish, irq

(doorbell: the queue's last one before the take; io_uring_submit: the I/O
thread's first after the sqe; publish and irq: the queue's first after the
post).  Stages named in --require must be present for every request; a
required irq must also come before the queue's next take (a trap device
raises each command's interrupt as it ends it; a PV queue's interrupts
follow the guest's event index, so not every request has its own).  At
least MIN requests must be complete.  --last-open: the queue's last request
may be unfinished (a receive still waiting for a frame when hv stopped).
--kvm-exits: the kvm:kvm_exit tracepoint's events (cat "kvm_exit", hv as
root) are there, some named "io", and between the first and last counter
events they number within 20% of the exits KVM's counters report there.
Prints one summary line; exits 1 with the first problems on stderr.

--each: several checks in one process (a Python start costs seconds in the
test host VM, and each file is parsed once): for each NAME one line
"NAME ok: SUMMARY", or "NAME failed: PROBLEM" lines; exits 1 if one failed.
"""
import json
import sys

PHASES = {"i", "B", "E", "C", "M", "X"}
MAX_REQ_US = 30e6  # a request taking longer than this is not plausible in a test


def fail(msgs):
    for m in msgs[:10]:
        print("trace-check: " + m, file=sys.stderr)
    sys.exit(1)


def first_at_or_after(times, t):
    """The first of the sorted times that is >= t, or None."""
    lo, hi = 0, len(times)
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return times[lo] if lo < len(times) else None


def last_at_or_before(times, t):
    lo, hi = 0, len(times)
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    return times[lo - 1] if lo > 0 else None


def lanes_ok(events, errs):
    last = {}
    depth = {}
    for e in events:
        ph = e.get("ph")
        if ph not in PHASES:
            errs.append("unknown phase %r in %r" % (ph, e))
            continue
        if ph == "M":
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or ts < 0:
            errs.append("bad ts in %r" % e)
            continue
        tid = e.get("tid")
        if ts < last.get(tid, 0):
            errs.append("lane %s goes back in time: %.3f after %.3f" % (tid, ts, last[tid]))
        last[tid] = ts
        if ph == "B":
            depth[tid] = depth.get(tid, 0) + 1
        elif ph == "E":
            depth[tid] = depth.get(tid, 0) - 1
            if depth[tid] < 0:
                errs.append("lane %s: E without B at %.3f" % (tid, ts))
    for tid, d in depth.items():
        if d:
            errs.append("lane %s: %d exits never ended" % (tid, d))


def requests(events, queue):
    """Request instances of queue: dicts stage -> ts, in take order."""
    mine = sorted((e for e in events if e.get("ph") == "i" and
                   e.get("args", {}).get("queue") == queue and "req" in e.get("args", {})),
                  key=lambda e: e["ts"])
    open_reqs, done = {}, []
    for e in mine:
        rid, name = e["args"]["req"], e["name"]
        if name == "take":
            if rid in open_reqs:
                done.append(open_reqs.pop(rid))  # a take without post: reported below
            open_reqs[rid] = {"take": e["ts"], "req": rid}
        elif rid in open_reqs:
            r = open_reqs[rid]
            if name in r:
                r.setdefault("dup", name)
            r[name] = e["ts"]
            if name == "post":
                done.append(open_reqs.pop(rid))
    return done + list(open_reqs.values())


def check_kvm_exits(events, errs, out):
    """Every exit as an instant: as many as KVM's counters say, over the same time."""
    counters = sorted((e["ts"], e["args"]["in_kernel"] + e["args"]["to_hv"]) for e in events
                      if e.get("ph") == "C" and "in_kernel" in e.get("args", {}))
    exits = sorted(e["ts"] for e in events if e.get("cat") == "kvm_exit")
    names = {e["name"] for e in events if e.get("cat") == "kvm_exit"}
    if not exits:
        errs.append("no kvm_exit events")
        return
    if "io" not in names:
        errs.append("no kvm_exit event named io (names: %s)" % sorted(names)[:10])
    if len(counters) < 2:
        errs.append("too few counter events to compare kvm_exit events with")
        return
    t0, t1 = counters[0][0], counters[-1][0]
    counted = sum(n for ts, n in counters[1:])  # each covers the interval before it
    seen = sum(1 for ts in exits if t0 < ts <= t1)
    if not counted or not 0.8 <= seen / counted <= 1.25:
        errs.append("%d kvm_exit events from %.0f to %.0f us, KVM's counters say %d exits" %
                    (seen, t0, t1, counted))
    out.append("trace-check: kvm_exit: %d events over %.0f ms, KVM's counters %d; reasons %s" %
               (seen, (t1 - t0) / 1000, counted, ",".join(sorted(names))))


def parse_opts(args):
    """FILE QUEUE MIN [options] -> (path, queue, min, require, last_open, kvm_exits)."""
    args = list(args)
    last_open = "--last-open" in args
    if last_open:
        args.remove("--last-open")
    kvm_exits = "--kvm-exits" in args
    if kvm_exits:
        args.remove("--kvm-exits")
    require = []
    if "--require" in args:
        i = args.index("--require")
        require = [s for s in args[i + 1].split(",") if s]
        del args[i:i + 2]
    if len(args) != 3 or not args[2].isdigit():
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    return args[0], args[1], int(args[2]), require, last_open, kvm_exits


def load(path, cache={}):
    """The file's events and the problems of the file as a whole (parsed once)."""
    if path not in cache:
        try:
            with open(path) as f:
                events = json.load(f)["traceEvents"]
            errs = []
            lanes_ok(events, errs)
            if not any(e.get("ph") == "C" and "in_kernel" in e.get("args", {}) for e in events):
                errs.append("no KVM counter events")
            cache[path] = events, errs
        except (OSError, ValueError, KeyError, TypeError) as e:
            cache[path] = None, ["%s: not a trace: %s" % (path, e)]
    return cache[path]


def check(path, queue, minimum, require, last_open, kvm_exits):
    """(problems, summary lines) of one check."""
    errs, out = stages(path, queue, minimum, tuple(require), last_open)
    errs, out = list(errs), list(out)
    if kvm_exits:
        events, _ = load(path)
        if events is not None:
            check_kvm_exits(events, errs, out)
    return errs, out


def stages(path, queue, minimum, require, last_open, cache={}):
    """(problems, summary lines) of the file and QUEUE's requests (once per arguments)."""
    key = (path, queue, minimum, require, last_open)
    if key not in cache:
        cache[key] = queue_stages(path, queue, minimum, require, last_open)
    return cache[key]


def queue_stages(path, queue, minimum, require, last_open):
    events, file_errs = load(path)
    if events is None:
        return file_errs, []
    errs = list(file_errs)
    out = []
    by_name = {}
    for e in events:
        if e.get("ph") == "i":
            key = e["name"] if e["name"] == "io_uring_submit" else (e["name"], e["args"].get("queue"))
            by_name.setdefault(key, []).append(e["ts"])
    for v in by_name.values():
        v.sort()
    submits = by_name.get("io_uring_submit", [])
    doorbells = by_name.get(("doorbell", queue), [])
    publishes = by_name.get(("publish", queue), [])
    irqs = by_name.get(("irq", queue), [])
    reqs = requests(events, queue)
    takes = sorted(r["take"] for r in reqs)
    complete = 0
    lat = []
    for r in reqs:
        what = "%s req %s taken at %.3f" % (queue, r["req"], r["take"])
        if "dup" in r:
            errs.append("%s: %s twice" % (what, r["dup"]))
        if "post" not in r:
            if not (last_open and r["take"] == takes[-1]):
                errs.append("%s: never posted" % what)
            continue
        if "sqe" in r:
            r["io_uring_submit"] = first_at_or_after(submits, r["sqe"])
        r["publish"] = first_at_or_after(publishes, r["post"])
        r["irq"] = first_at_or_after(irqs, r["post"])
        r["doorbell"] = last_at_or_before(doorbells, r["take"])
        order = [s for s in ("doorbell", "take", "sqe", "io_uring_submit", "cqe", "post", "publish")
                 if r.get(s) is not None]
        for s in require:
            if r.get(s) is None:
                errs.append("%s: no %s" % (what, s))
        for a, b in zip(order, order[1:]):
            if r[a] > r[b]:
                errs.append("%s: %s at %.3f after %s at %.3f" % (what, a, r[a], b, r[b]))
        next_take = first_at_or_after(takes, r["take"] + 1e-3)
        if "irq" in require and r["irq"] is not None and next_take is not None and \
                r["irq"] > next_take:
            errs.append("%s: its irq at %.3f after the next take at %.3f" %
                        (what, r["irq"], next_take))
        end = r["publish"] if r.get("publish") is not None else r["post"]
        if end is not None:
            span = end - r["take"]
            if span > MAX_REQ_US:
                errs.append("%s: %.0f us from take to publish" % (what, span))
            lat.append(span)
        complete += 1
    if complete < minimum:
        errs.append("%d complete requests of %s, want at least %d" % (complete, queue, minimum))
    lat.sort()
    out.append("trace-check: %s: %d requests, stages in order; take->%s median %.1f us, "
               "%d events" % (queue, complete, "publish" if publishes else "post",
                              lat[len(lat) // 2] if lat else 0, len(events)))
    return errs, out


def main():
    args = sys.argv[1:]
    if not args or args[0] != "--each":
        errs, out = check(*parse_opts(args))
        if errs:
            fail(errs)
        for line in out:
            print(line)
        return
    groups, bad = [], False
    for a in args:
        if a == "--each":
            groups.append([])
        else:
            groups[-1].append(a)
    for g in groups:
        if len(g) < 2:
            print(__doc__.strip().splitlines()[3], file=sys.stderr)
            sys.exit(2)
        errs, out = check(*parse_opts(g[1:]))
        if errs:
            bad = True
            for m in errs[:10]:
                print("%s failed: %s" % (g[0], m))
        else:
            print("%s ok: %s" % (g[0], "; ".join(l[len("trace-check: "):] for l in out)))
        sys.stdout.flush()
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
