#!/usr/bin/env bash
# scripts/host-load.sh FILE: records the machine's load while a benchmark runs
# in the test host VM, which cannot see it (its one emulated CPU looks idle
# however many other processes share the host's cores).  First line: the
# host's CPU count; then the 1-minute load average every 15 s until killed.
# benchlib.where() puts the summary beside every figure.
set -u
out=$1
nproc >"$out"
while :; do
	cut -d' ' -f1 /proc/loadavg >>"$out"
	sleep 15
done
