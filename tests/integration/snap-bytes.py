#!/usr/bin/env python3
"""Prints the SHA-256 of the guest httpd's /bytes/N body (byte i = i % 251),
the sum a transfer cut by a snapshot must still arrive with.

usage: snap-bytes.py N"""
import hashlib, sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
n = int(sys.argv[1])
block = bytes(i % 251 for i in range(251 * 4096))
h = hashlib.sha256()
while n:
    k = min(n, len(block))
    h.update(block[:k])
    n -= k
print(h.hexdigest())
