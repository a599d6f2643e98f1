#!/usr/bin/env python3
"""A burst of UDP datagrams to a guest whose NIC has an RX limit (ratelimit.sh).

usage: ratelimit-rx.py ADDR PORT COUNT

Waits until the guest's udpecho answers (which also settles ARP), then sends
COUNT datagrams back to back and collects the echoes until none has come for
3 s.  Prints one line: sent=N echoed=M spread=S (seconds from the first echo
of the burst to the last), lost=K; every echo is checked against what was
sent (its sequence number and payload)."""
import socket, sys, time


def main(addr, port, count):
    port, count = int(port), int(count)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.settimeout(1.0)
    for _ in range(30):  # the guest up and answering
        s.sendto(b"warm", (addr, port))
        try:
            if s.recvfrom(2048)[0] == b"warm":
                break
        except socket.timeout:
            pass
    else:
        sys.exit("ratelimit-rx: no echo from %s:%d within 30 s" % (addr, port))
    payload = lambda i: b"%08d" % i + bytes((i + j) % 251 for j in range(56))
    for i in range(count):
        s.sendto(payload(i), (addr, port))
    seen, first, last = set(), None, None
    s.settimeout(3.0)
    while len(seen) < count:
        try:
            d, _ = s.recvfrom(2048)
        except socket.timeout:
            break
        if d == b"warm":
            continue
        i = int(d[:8])
        if i >= count or d != payload(i) or i in seen:
            sys.exit("ratelimit-rx: a wrong echo: %r" % d[:16])
        seen.add(i)
        last = time.monotonic()
        first = first or last
    print("sent=%d echoed=%d spread=%.2f lost=%d" % (count, len(seen),
                                                      (last - first) if seen else 0,
                                                      count - len(seen)))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
