# shellcheck shell=bash
# --trace and --pcap (docs/TRACE.md): a PV disk workload's timeline checked
# request by request (trace-check.py), a ping's frames on the PV NIC and on
# the trap NIC captured and read back by tcpdump inside a network namespace this file
# creates (10.0.0.1 the host's end, 10.0.0.2 the guest; nothing leaves it),
# and bad arguments refused with one line and status 2.
TRACE_CHECK=tests/integration/trace-check.py

# ---- bad arguments: one line, status 2, before the VM exists ------------------------
bad_trace() { # NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	run "$name" 20 "$HV" run --timeout 10 "$@" "$KERNEL"
	expect "$name" 2 "$pat" err
	[ "$(wc -l <"$TMP/$name.err")" -eq 1 ] || fail "$name-one-line" "stderr has $(wc -l <"$TMP/$name.err") lines"
}
bad_trace trace-unwritable "^hv: --trace $TMP/no/such/dir/t.json: cannot create: No such file or directory$" \
	--trace "$TMP/no/such/dir/t.json"
bad_trace trace-pcap-unknown-nic "^hv: --pcap: no NIC 'pvnet1' \(NICs: pvnet0\)$" --net loop --pcap "pvnet1:$TMP/x.pcap"
bad_trace trace-pcap-not-a-nic "^hv: --pcap: no NIC 'pvblk0' \(NICs: none\)$" --disk null:1M --pcap "pvblk0:$TMP/x.pcap"
bad_trace trace-pcap-no-file "^hv: --pcap: 'pvnet0' is not NIC:FILE" --net loop --pcap pvnet0
bad_trace trace-pcap-unwritable "^hv: --pcap $TMP/no/x.pcap: cannot create: No such file or directory$" \
	--net loop --pcap "pvnet0:$TMP/no/x.pcap"
[ -e "$TMP/x.pcap" ] && fail trace-pcap-refused-creates-nothing "$TMP/x.pcap exists"

# The writer thread runs under its own seccomp allowlist: a forbidden call there stops hv.
HV_SANDBOX_PROBE=trace run trace-sandbox-probe 30 "$HV" run --timeout 20 --trace "$TMP/probe.json" "$KERNEL" -- hello
expect trace-sandbox-probe 159 "^hv: sandbox: forbidden system call 257 \(openat\) in the trace thread; hv stops$" err

# ---- the PV disk: every request's stages in order -----------------------------------
head -c $((8 << 20)) /dev/urandom >"$TMP/trace.img"
# As root, every exit from the kvm:kvm_exit tracepoint too: tracefs mounted for
# this run if it is not (and unmounted after).
kx_mounted=
if [ "$(id -u)" = 0 ] && [ ! -e /sys/kernel/tracing/events/kvm ] &&
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
	kx_mounted=1
fi
run trace-blk 90 "$HV" run --stats --mem 128M --timeout 80 --trace "$TMP/blk.json" --disk "$TMP/trace.img" \
	"$KERNEL" -- blkbench pvblk0 --time 1 randread-4k-qd32
expect trace-blk 0 "randread-4k-qd32" out "^hv: trace: [1-9][0-9]* events written, 0 dropped" err
"$TRACE_CHECK" "$TMP/blk.json" pvblk0 100 --require doorbell,sqe,io_uring_submit,cqe,post,publish \
	>"$TMP/blk-check.out" 2>&1 && pass trace-blk-stages ||
	fail trace-blk-stages "$(head -5 "$TMP/blk-check.out")"
cat "$TMP/blk-check.out"
if [ "$(id -u)" = 0 ] && [ -e /sys/kernel/tracing/events/kvm/kvm_exit ]; then
	grep -Eq "^hv: trace: kvm:kvm_exit: [1-9][0-9]* exits read, 0 lost$" "$TMP/trace-blk.err" &&
		"$TRACE_CHECK" "$TMP/blk.json" pvblk0 100 --kvm-exits >"$TMP/blk-kx.out" 2>&1 &&
		pass trace-kvm-exit-events ||
		fail trace-kvm-exit-events "$(grep kvm_exit "$TMP/trace-blk.err")" "$(head -5 "$TMP/blk-kx.out")"
	cat "$TMP/blk-kx.out"
else
	skip trace-kvm-exit-events # "not root, or no kvm:kvm_exit in tracefs"
fi
[ -n "$kx_mounted" ] && umount /sys/kernel/tracing
# The exits that reached hv are events; the trace has as many as --stats counts.
n_exits=$(grep -c '"cat":"exit"' "$TMP/blk.json")
stats_exits=$(sed -n 's/^hv: stats: exits to hv \([0-9]*\)$/\1/p' "$TMP/trace-blk.err")
[ -n "$stats_exits" ] && [ "$n_exits" -eq "$stats_exits" ] && pass trace-blk-exits ||
	fail trace-blk-exits "$n_exits exit events in the trace, --stats says '$stats_exits'"

# ---- the trap disk: each command's stages, from the I/O thread's hand-off to its interrupt
run trace-trapblk 90 "$HV" run --mem 128M --timeout 80 --trace "$TMP/trapblk.json" --trap-disk "$TMP/trace.img" \
	"$KERNEL" -- blkbench trapblk0 --time 1 randread-4k-qd1
expect trace-trapblk 0 "randread-4k-qd1" out "^hv: trace: [1-9][0-9]* events written, 0 dropped" err
# Without tracefs (or as another user) no tracepoint: the counters alone, and hv says why.
if [ ! -e /sys/kernel/tracing/events/kvm ] && [ ! -e /sys/kernel/debug/tracing/events/kvm ]; then
	grep -Eq "^hv: trace: kvm:kvm_exit not read \((no kvm:kvm_exit in tracefs|hv is not root)" \
		"$TMP/trace-trapblk.err" && pass trace-kvm-exit-fallback ||
		fail trace-kvm-exit-fallback "$(grep kvm_exit "$TMP/trace-trapblk.err")"
else
	skip trace-kvm-exit-fallback # "tracefs is mounted here"
fi
"$TRACE_CHECK" "$TMP/trapblk.json" trapblk0 100 --require doorbell,take,sqe,io_uring_submit,cqe,post,irq \
	>"$TMP/trapblk-check.out" 2>&1 && pass trace-trapblk-stages ||
	fail trace-trapblk-stages "$(head -5 "$TMP/trapblk-check.out")"
cat "$TMP/trapblk-check.out"

# ---- the PV NIC: a ping captured both ways --------------------------------------------
NS=hvtrace$$
trace_cleanup() { ip netns del "$NS" 2>/dev/null; }
trap 'trace_cleanup; rm -rf "$TMP"' EXIT
if ! ip netns add "$NS" 2>"$TMP/netns.err"; then
	fail trace-net-namespace "cannot create a network namespace: $(head -1 "$TMP/netns.err")"
	return 0
fi
NSX=(ip netns exec "$NS")
"${NSX[@]}" ip link set lo up
"${NSX[@]}" ip tuntap add tap0 mode tap
"${NSX[@]}" ip addr add 10.0.0.1/24 dev tap0
"${NSX[@]}" ip link set tap0 up
run trace-net 90 "${NSX[@]}" "$HV" run --stats --timeout 80 --net tap:tap0 --pcap "pvnet0:$TMP/net.pcap" \
	--trace "$TMP/net.json" "$KERNEL" -- ip=10.0.0.2/24 gw=10.0.0.1 ping 10.0.0.1 3
expect trace-net 0 "3 packets transmitted, 3 received" out \
	"^hv: pcap pvnet0: [1-9][0-9]* frames written, 0 dropped" err
if tcpdump -nn -tt -r "$TMP/net.pcap" >"$TMP/net.tcpdump" 2>"$TMP/tcpdump.err"; then
	pass trace-pcap-tcpdump-reads
else
	fail trace-pcap-tcpdump-reads "$(head -2 "$TMP/tcpdump.err")"
fi
[ "$(grep -c "IP 10.0.0.2 > 10.0.0.1: ICMP echo request" "$TMP/net.tcpdump")" -eq 3 ] &&
	[ "$(grep -c "IP 10.0.0.1 > 10.0.0.2: ICMP echo reply" "$TMP/net.tcpdump")" -eq 3 ] &&
	pass trace-pcap-icmp || fail trace-pcap-icmp "$(head -8 "$TMP/net.tcpdump" | tr '\n' '|')"
# Every frame the NIC sent and received, as --stats counts them, is in the file.
frames=$(sed -n 's/.*pvnet0 (tap0): link [a-z]*; rx [a-z]*, \([0-9]*\) frames.* tx [a-z]*, \([0-9]*\) frames.*/\1 \2/p' \
	"$TMP/trace-net.err")
read -r rx tx <<<"$frames"
[ -n "$frames" ] && [ "$(wc -l <"$TMP/net.tcpdump")" -eq $((rx + tx)) ] && pass trace-pcap-count ||
	fail trace-pcap-count "tcpdump reads $(wc -l <"$TMP/net.tcpdump") frames; --stats: rx ${rx:-?} tx ${tx:-?}"
awk '{ if ($1 < last) bad = 1; last = $1 } END { exit bad }' "$TMP/net.tcpdump" &&
	pass trace-pcap-monotonic || fail trace-pcap-monotonic "timestamps go back: $(head -3 "$TMP/net.tcpdump")"
"$TRACE_CHECK" "$TMP/net.json" "pvnet0 tx" 4 --require sqe,cqe,post,publish >"$TMP/net-check.out" 2>&1 &&
	pass trace-net-tx-stages || fail trace-net-tx-stages "$(head -5 "$TMP/net-check.out")"
cat "$TMP/net-check.out"
# The trap NIC's frames too, and each send's and receive's stages in the timeline.
run trace-trapnet 90 "${NSX[@]}" "$HV" run --timeout 80 --trap-net tap:tap0 --pcap "trapnet0:$TMP/trap.pcap" \
	--trace "$TMP/trapnet.json" "$KERNEL" -- ip=10.0.0.2/24 gw=10.0.0.1 ping 10.0.0.1 2
expect trace-trapnet 0 "2 packets transmitted, 2 received" out \
	"^hv: pcap trapnet0: [1-9][0-9]* frames written, 0 dropped" err
tcpdump -nn -r "$TMP/trap.pcap" >"$TMP/trap.tcpdump" 2>"$TMP/trap-tcpdump.err" &&
	[ "$(grep -c "IP 10.0.0.2 > 10.0.0.1: ICMP echo request" "$TMP/trap.tcpdump")" -eq 2 ] &&
	[ "$(grep -c "IP 10.0.0.1 > 10.0.0.2: ICMP echo reply" "$TMP/trap.tcpdump")" -eq 2 ] &&
	pass trace-pcap-trapnet || fail trace-pcap-trapnet "$(head -6 "$TMP/trap.tcpdump" "$TMP/trap-tcpdump.err" | tr '\n' '|')"
# A receive waits for its frame at the end: the last may be open.
for q in tx rx; do
	"$TRACE_CHECK" "$TMP/trapnet.json" "trapnet0 $q" 3 --require doorbell,take,sqe,cqe,post,irq --last-open \
		>"$TMP/trapnet-$q-check.out" 2>&1 && pass "trace-trapnet-$q-stages" ||
		fail "trace-trapnet-$q-stages" "$(head -5 "$TMP/trapnet-$q-check.out")"
	cat "$TMP/trapnet-$q-check.out"
done
trace_cleanup
trap 'rm -rf "$TMP"' EXIT
