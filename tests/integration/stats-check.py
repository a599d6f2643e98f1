#!/usr/bin/env python3
"""hv --stats agrees with itself (tests/integration/boot.sh): io exits =
hypercalls + port accesses; hypercalls = their sum by name; the memory
line has guest RAM inside hv's RSS at the end and hv's own at most 16 MiB.
With --memory only the memory line is checked (a Linux guest's, in
tests/integration/linux.sh), and said on stdout.
Exit status 1 and the reason on stderr otherwise.
usage: stats-check.py [--memory] STATS_STDERR"""
import re, sys
memory_only = sys.argv[1] == "--memory"
t = open(sys.argv[-1]).read()
num = lambda pat: [int(x) for x in re.findall(pat, t, re.M)]
if not memory_only:
    io, = num(r"hv  exit  io +(\d+)$")
    hc, = num(r"hv  hypercalls (\d+) ")
    by_name = sum(num(r"hv  hypercall +[a-z_]+ +(\d+)$"))
    pio = sum(num(r"hv  pio +\S+ +(\d+)$")) + sum(num(r"unclaimed pio (\d+)"))
    assert hc == by_name, "hypercalls %d, by name %d" % (hc, by_name)
    assert io == hc + pio, "io exits %d, hypercalls %d + port accesses %d" % (io, hc, pio)
mem = re.search(r"hv  memory rss (\d+) KiB \(peak (\d+) KiB\), guest RAM resident (\d+) KiB, "
                r"hv's own (-?\d+) KiB$", t, re.M)
assert mem, "no memory line with the RSS at the end"
rss, peak, guest, own = map(int, mem.groups())
assert 0 < guest < rss, "guest RAM %d KiB of an RSS of %d: hv has none of its own?" % (guest, rss)
assert own <= 16384, "hv's own %d KiB (at most 16 MiB)" % own
if memory_only:
    print("hv's own %d KiB (RSS %d KiB, guest RAM %d KiB, peak %d KiB)" % (own, rss, guest, peak))
