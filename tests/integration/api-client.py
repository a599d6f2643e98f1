#!/usr/bin/python3
"""The host side of tests/integration/api.sh: a client of hv's control API.

  api-client.py metrics FILE [NAME[{label=value}]...]
      parses a GET /metrics reply with Debian's python3-prometheus-client
      (text_string_to_metric_families, the reference parser of the text
      format); checks every counter's samples end in _total; prints
      "families N samples M" and then each NAME's value, one a line.
  api-client.py slow SOCK
      connects, sends half a request and stops; prints the seconds until hv
      cut it off and the status line it got.
  api-client.py startup SOCK -- HV ARGS...
      starts hv, polls the socket until GET /vm answers; prints the
      milliseconds from exec to the first answer; leaves hv running (its
      pid on the second line).
  api-client.py scrape SOCK HZ SECONDS READY
      creates the file READY once running (python starts slowly in the test
      host VM: start hv after it), waits for SOCK to answer, then GET /metrics HZ
      times a second until hv is gone or SECONDS pass; prints the count and
      the rate achieved.
"""
import socket
import subprocess
import sys
import time


def until_closed(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def request(sock, raw, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(raw)
    out = until_closed(s)
    s.close()
    return out


def histogram_ok(f):
    """Each series of histogram family f: cumulative buckets ending in +Inf, equal to _count."""
    series = {}
    for s in f.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if s.name.endswith("_bucket"):
            series[key]["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            series[key]["count"] = s.value
        elif s.name.endswith("_sum"):
            series[key]["sum"] = s.value
    for key, h in series.items():
        b = sorted(h["buckets"])
        if (not b or b[-1][0] != float("inf") or h["count"] is None or h["sum"] is None or
                any(x[1] > y[1] for x, y in zip(b, b[1:])) or b[-1][1] != h["count"]):
            print("histogram %s%s: not cumulative buckets up to +Inf equal to _count (%s)" %
                  (f.name, dict(key), h))
            return False
    return True


def cmd_metrics(path, names):
    from prometheus_client.parser import text_string_to_metric_families
    text = open(path).read()
    fams = list(text_string_to_metric_families(text))
    samples = {}
    n = 0
    for f in fams:
        for s in f.samples:
            n += 1
            if f.type == "counter" and not s.name.endswith("_total") and not s.name.endswith("_created"):
                print("counter sample %s does not end in _total" % s.name)
                return 1
            key = s.name + ("{%s}" % ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
                            if s.labels else "")
            samples[key] = s.value
        if f.type == "histogram" and not histogram_ok(f):
            return 1
    print("families %d samples %d" % (len(fams), n))
    for name in names:
        print("%s %s" % (name, samples.get(name, "missing")))
    return 0


def cmd_slow(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    t0 = time.monotonic()
    s.sendall(b"GET /vm HTTP/1.1\r\nHost: lo")
    s.settimeout(30)
    out = until_closed(s)
    print("%.2f %s" % (time.monotonic() - t0, out.split(b"\r\n")[0].decode(errors="replace")))
    return 0


def cmd_startup(sock, argv):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.monotonic() - t0 < 30:
        try:
            if request(sock, b"GET /vm HTTP/1.1\r\n\r\n", 1).startswith(b"HTTP/1.1 200"):
                print("%.1f" % ((time.monotonic() - t0) * 1000))
                print(p.pid)
                return 0
        except OSError:
            pass
        time.sleep(0.0005)
    print("no answer")
    p.kill()
    return 1


def cmd_scrape(sock, hz, secs, ready):
    """Until SECONDS pass or the socket is gone (hv ended); a slow reply is retried."""
    open(ready, "w").close()
    n = 0
    t_end = time.monotonic() + 60
    while time.monotonic() < t_end:
        try:
            if request(sock, b"GET /vm HTTP/1.1\r\n\r\n", 5).startswith(b"HTTP/1.1 200"):
                break
        except OSError:
            time.sleep(0.01)
    t0 = time.monotonic()
    t_end = t0 + secs
    while time.monotonic() < t_end:
        t = time.monotonic()
        try:
            if request(sock, b"GET /metrics HTTP/1.1\r\n\r\n", 5).startswith(b"HTTP/1.1 200"):
                n += 1
        except (FileNotFoundError, ConnectionRefusedError):
            break
        except OSError:
            pass
        time.sleep(max(0, 1.0 / hz - (time.monotonic() - t)))
    print("%d scrapes in %.1f s" % (n, time.monotonic() - t0))
    return 0


def main():
    a = sys.argv[1:]
    if a[:1] == ["metrics"]:
        return cmd_metrics(a[1], a[2:])
    if a[:1] == ["slow"]:
        return cmd_slow(a[1])
    if a[:1] == ["startup"] and a[2:3] == ["--"]:
        return cmd_startup(a[1], a[3:])
    if a[:1] == ["scrape"]:
        return cmd_scrape(a[1], float(a[2]), float(a[3]), a[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
