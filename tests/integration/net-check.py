#!/usr/bin/env python3
"""The byte-level checks of tests/integration/net.sh (run in the test's
network namespace where they talk to the guest).  Exit status 1 and the
reason on stderr when the check fails.
  net-check.py bytes FILE N          the httpd's /bytes/N body: N bytes, byte i = i % 251
  net-check.py tcp-echo ADDR BYTES   random bytes through the guest's tcpecho (port 7),
                                     back intact
  net-check.py udp-echo ADDR COUNT   COUNT datagrams of varied size and random
                                     content to the guest's udpecho, each back intact
  net-check.py tcp-echo-flap ADDR BYTES IFACE SECONDS
                                     tcp-echo, with IFACE set down for SECONDS and
                                     up again once a quarter of the bytes came back"""
import os, socket, subprocess, sys, threading, time


def body(path, n):
    d = open(path, "rb").read()
    n = int(n)
    assert len(d) == n, "%d bytes, want %d" % (len(d), n)
    assert d == bytes(i % 251 for i in range(n)), "content differs"


def flap(iface, seconds):
    """IFACE down for SECONDS, then up: what the test does to the guest's tap."""
    subprocess.run(["ip", "link", "set", iface, "down"], check=True)
    time.sleep(float(seconds))
    subprocess.run(["ip", "link", "set", iface, "up"], check=True)


def tcp_echo(addr, n, midway=None):
    data = os.urandom(int(n))
    s = socket.create_connection((addr, 7), timeout=60)
    got = bytearray()

    def reader():
        nonlocal midway
        while len(got) < len(data):
            b = s.recv(65536)
            if not b:
                break
            got.extend(b)
            if midway and len(got) >= len(data) // 4:
                t0 = time.monotonic()
                midway()
                print("flapped at %d of %d bytes echoed; %.1f s" % (
                    len(got), len(data), time.monotonic() - t0), file=sys.stderr)
                midway = None

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    t.join(90)
    s.close()
    assert bytes(got) == data, "echoed %d of %d bytes, %s" % (
        len(got), len(data), "equal so far" if data.startswith(bytes(got)) else "different")


def udp_echo(addr, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    for i in range(int(count)):
        d = os.urandom(1 + (i * 97) % 1400)
        s.sendto(d, (addr, 7))
        got, _ = s.recvfrom(2048)
        assert got == d, "datagram %d differs" % i


def tcp_echo_flap(addr, n, iface, seconds):
    start = time.monotonic()
    tcp_echo(addr, n, lambda: flap(iface, seconds))
    print("%s bytes echoed intact in %.1f s" % (n, time.monotonic() - start), file=sys.stderr)


CHECKS = {"bytes": (body, 2), "tcp-echo": (tcp_echo, 2), "udp-echo": (udp_echo, 2),
          "tcp-echo-flap": (tcp_echo_flap, 4)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CHECKS or len(sys.argv) != 2 + CHECKS[sys.argv[1]][1]:
        sys.exit(__doc__)
    CHECKS[sys.argv[1]][0](*sys.argv[2:])
