# shellcheck shell=bash
# Benchmark smoke tests: every tool runs and its JSON has every key and sane
# values; speed is never asserted.
# The host-native baseline of the block benchmark: real io_uring on a real file.
head -c $((4 << 20)) /dev/urandom >"$TMP/bench.img"
run native-blkbench-smoke 30 build/bench/native-blkbench --time 0.2 --json "$TMP/bench.img"
expect native-blkbench-smoke 0 '"workload": ?"randread-4k-qd1"' out '"workload": ?"randread-4k-qd32"' out \
	'"workload": ?"seqread-128k-qd8"' out '"workload": ?"randwrite-4k-qd1"' out
python3 tests/integration/bench-check.py --native "$TMP/native-blkbench-smoke.out" 2>"$TMP/bench-json.err" &&
	pass native-blkbench-json || fail native-blkbench-json "$(tail -1 "$TMP/bench-json.err")"

# make bench QUICK=1, smoke only: every key present, rates positive; speed not
# asserted.  Under its own name, so the README's results.json stays as measured.
# What an earlier run left is removed first: only this run's files are checked.
rm -f build/bench/smoke.json build/bench/smoke.chart build/bench/smoke.png \
	build/bench/peers-smoke.json build/bench/peers-smoke.chart build/bench/peers-smoke.png
run bench-quick 500 env QUICK=1 scripts/bench.sh --name smoke
expect bench-quick 0 "wrote build/bench/smoke.json" out
python3 tests/integration/bench-check.py --file build/bench/smoke.json native loopback-pv loopback-pv-poll \
	2>"$TMP/bench-json.err" && pass bench-quick-json-native || fail bench-quick-json-native "$(tail -1 "$TMP/bench-json.err")"
[ -s build/bench/smoke.png ] && pass bench-quick-chart || fail bench-quick-chart "no smoke.png"

# The bench smoke run above ran the guest paths too.
python3 tests/integration/bench-check.py --file build/bench/smoke.json native pv pv-poll trap 2>"$TMP/bench-json.err" &&
	pass bench-quick-json-paths || fail bench-quick-json-paths "$(tail -1 "$TMP/bench-json.err")"

# ... and the network rows: native over veth, pv, pv-poll and trap NICs.
python3 tests/integration/bench-check.py --file build/bench/smoke.json net 2>"$TMP/bench-json.err" &&
	pass bench-quick-json-net || fail bench-quick-json-net "$(tail -1 "$TMP/bench-json.err")"

# The peer rows (QEMU + Linux with virtio and with emulated devices, on the
# same KVM): one short round of each, every workload, through the report.
# Their exits are counted as hv's guest rows' are; speed is not asserted.
# 1 s, not 0.5: a row's exits are its run's less its start-up baseline's, and
# at 0.5 s a loaded machine's slow start-up once outweighed qemu-emulated's
# 177 I/Os (drive.py refuses such a row rather than print a false 0).
run bench-peers 1100 env QUICK=1 scripts/bench.sh --paths "pv trap qemu-virtio qemu-emulated" --reps 1 \
	--time 1 --name peers-smoke
expect bench-peers 0 "wrote build/bench/peers-smoke.json" out
python3 tests/integration/bench-check.py --file build/bench/peers-smoke.json peers 2>"$TMP/bench-json.err" &&
	pass bench-peers-json || fail bench-peers-json "$(tail -1 "$TMP/bench-json.err")"
