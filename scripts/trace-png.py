#!/usr/bin/python3
"""Draws a few requests of an hv --trace file on a time axis (docs/TRACE.md).

trace-png.py TRACE.json OUT.png [--queue QUEUE] [--requests N]

One lane per stage, top to bottom in a request's order (the vCPU's exits to
hv as bars, then doorbell, take, sqe, io_uring_submit, cqe, post, publish,
irq on the I/O thread); each request is one colour, its stages joined by a
line.  The requests are N of the run of
QUEUE (default: the first queue with requests), one per doorbell from the
middle of the run on, so the picture shows the steady state and requests
of different batches rather than one batch's on top of each other.
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STAGES = ["doorbell", "take", "sqe", "io_uring_submit", "cqe", "post", "publish", "irq"]


def after(times, t):
    return next((x for x in times if x >= t), None)


def before(times, t):
    return next((x for x in reversed(times) if x <= t), None)


def load(path, queue):
    with open(path) as f:
        events = json.load(f)["traceEvents"]
    inst = [e for e in events if e.get("ph") == "i"]
    if queue is None:
        queue = next((e["args"]["queue"] for e in inst if e["name"] == "take"), None)
        if queue is None:
            sys.exit("trace-png: %s has no requests" % path)
    per = {}
    for e in sorted(inst, key=lambda e: e["ts"]):
        q = e["args"].get("queue")
        if e["name"] == "io_uring_submit" or q == queue:
            per.setdefault(e["name"], []).append(e)
    reqs, open_reqs = [], {}
    for e in sorted((e for e in inst if e["args"].get("queue") == queue and "req" in e["args"]),
                    key=lambda e: e["ts"]):
        rid = e["args"]["req"]
        if e["name"] == "take":
            open_reqs[rid] = {"take": e["ts"], "req": rid}
        elif rid in open_reqs:
            open_reqs[rid][e["name"]] = e["ts"]
            if e["name"] == "post":
                reqs.append(open_reqs.pop(rid))
    times = {k: [e["ts"] for e in v] for k, v in per.items()}
    for r in reqs:
        if "sqe" in r:
            r["io_uring_submit"] = after(times.get("io_uring_submit", []), r["sqe"])
        r["publish"] = after(times.get("publish", []), r["post"])
        r["doorbell"] = before(times.get("doorbell", []), r["take"])
        if r["publish"] is not None:
            r["irq"] = after(times.get("irq", []), r["publish"])
            if r["irq"] is not None and r["irq"] - r["publish"] > 100000:
                r["irq"] = None  # suppressed: that one belongs to a later publish
    exits, open_b = [], None
    for e in events:
        if e.get("cat") == "exit" and e.get("ph") == "B":
            open_b = e
        elif e.get("ph") == "E" and open_b is not None and e.get("tid") == open_b.get("tid"):
            exits.append((open_b["ts"], e["ts"], open_b["name"]))
            open_b = None
    return queue, reqs, exits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--queue")
    ap.add_argument("--requests", type=int, default=6)
    a = ap.parse_args()
    queue, reqs, exits = load(a.trace, a.queue)
    reqs = [r for r in reqs if r.get("publish") is not None]
    if not reqs:
        sys.exit("trace-png: no complete request of %s in %s" % (queue, a.trace))
    # One request per doorbell, from the middle on: a batch's requests would overlap.
    shown, seen = [], set()
    for r in reqs[len(reqs) // 2:] + reqs[:len(reqs) // 2]:
        if r.get("doorbell") not in seen and len(shown) < a.requests:
            seen.add(r.get("doorbell"))
            shown.append(r)
    shown.sort(key=lambda r: r["take"])
    t0 = min(r.get("doorbell") or r["take"] for r in shown)
    t1 = max(r.get("irq") or r["publish"] for r in shown)
    pad = (t1 - t0) * 0.03 + 1
    lanes = ["vCPU: exits to hv"] + STAGES
    y = {s: len(lanes) - 1 - i for i, s in enumerate(lanes)}
    fig, ax = plt.subplots(figsize=(12, 4.8), dpi=110)
    for b, e, name in exits:
        if e >= t0 - pad and b <= t1 + pad:
            ax.barh(y["vCPU: exits to hv"], max(e - b, 0.5), left=b - t0, height=0.5,
                    color="0.55")
    colours = plt.get_cmap("tab10")
    for i, r in enumerate(shown):
        lift = 0.25 * (i / max(len(shown) - 1, 1) - 0.5)  # apart where they coincide
        pts = [(r[s] - t0, y[s] + lift) for s in STAGES if r.get(s) is not None]
        xs, ys = zip(*pts)
        ax.plot(xs, ys, "-o", color=colours(i % 10), ms=5, lw=1.2,
                label="req %s: %.0f us take->publish" % (r["req"], r["publish"] - r["take"]))
    ax.set_yticks(list(y.values()))
    ax.set_yticklabels(list(y.keys()))
    ax.set_xlim(-pad, t1 - t0 + pad)
    ax.set_xlabel("microseconds (from the first doorbell shown)")
    ax.set_title("hv --trace: %d requests of %s, stage by stage" % (len(shown), queue))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(a.out)
    print("trace-png: %s: %d requests of %s over %.0f us" % (a.out, len(shown), queue, t1 - t0))


if __name__ == "__main__":
    main()
