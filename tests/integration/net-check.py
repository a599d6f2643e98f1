#!/usr/bin/env python3
"""The byte-level checks of tests/integration/net.sh (run in the test's
network namespace where they talk to the guest).  Exit status 1 and the
reason on stderr when the check fails.
  net-check.py bytes FILE N          the httpd's /bytes/N body: N bytes, byte i = i % 251
  net-check.py tcp-echo ADDR BYTES   random bytes through the guest's tcpecho (port 7),
                                     back intact
  net-check.py udp-echo ADDR COUNT   COUNT datagrams of varied size and random
                                     content to the guest's udpecho, each back intact"""
import os, socket, sys, threading


def body(path, n):
    d = open(path, "rb").read()
    n = int(n)
    assert len(d) == n, "%d bytes, want %d" % (len(d), n)
    assert d == bytes(i % 251 for i in range(n)), "content differs"


def tcp_echo(addr, n):
    data = os.urandom(int(n))
    s = socket.create_connection((addr, 7), timeout=60)
    got = bytearray()

    def reader():
        while len(got) < len(data):
            b = s.recv(65536)
            if not b:
                break
            got.extend(b)

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


CHECKS = {"bytes": body, "tcp-echo": tcp_echo, "udp-echo": udp_echo}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in CHECKS:
        sys.exit(__doc__)
    CHECKS[sys.argv[1]](*sys.argv[2:])
