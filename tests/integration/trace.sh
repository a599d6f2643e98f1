# shellcheck shell=bash disable=SC2154 # first_match, hashes and the like set variables by name
# --trace and --pcap (docs/TRACE.md): a PV disk workload's timeline checked
# request by request (trace-check.py), a ping's frames on the PV NIC and on
# the trap NIC captured and read back by tcpdump inside a network namespace this file
# creates (10.0.0.1 the host's end, 10.0.0.2 the guest; nothing leaves it),
# and bad arguments refused with one line and status 2.
# Every process start takes a good part of a second in the test host VM
# (TCG), so the timelines are checked by one trace-check.py at the end and
# the output files are read with bash's own matching where it can.
TRACE_CHECK=tests/integration/trace-check.py
TC_NAMES=() TC_ARGS=()
# tcheck NAME FILE QUEUE MIN [OPTION...]: a trace-check.py check, run by trace_checks.
tcheck() {
	TC_NAMES+=("$1")
	TC_ARGS+=(--each "$@")
}
# trace_checks: one trace-check.py for every tcheck, then each NAME's pass or fail.
trace_checks() {
	local name l lines
	local -A ok=() bad=()
	"$TRACE_CHECK" "${TC_ARGS[@]}" >"$TMP/trace-check.out" 2>&1
	mapfile -t lines <"$TMP/trace-check.out"
	for l in "${lines[@]}"; do
		[[ $l =~ ^([a-z0-9-]+)\ (ok|failed):\ (.*)$ ]] || continue
		if [ "${BASH_REMATCH[2]}" = ok ]; then
			ok[${BASH_REMATCH[1]}]=${BASH_REMATCH[3]}
		else
			bad[${BASH_REMATCH[1]}]+="${BASH_REMATCH[3]}|"
		fi
	done
	for name in "${TC_NAMES[@]}"; do
		if [ -n "${bad[$name]:-}" ]; then
			fail "$name" "${bad[$name]%|}"
		elif [ -n "${ok[$name]:-}" ]; then
			pass "$name"
			echo "trace-check: ${ok[$name]}"
		else
			fail "$name" "trace-check.py said nothing of it: ${lines[*]:0:3}"
		fi
	done
}

# ---- bad arguments: one line, status 2, before the VM exists ------------------------
bad_trace() { # NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	run "$name" 20 "$HV" run --timeout 10 "$@" "$KERNEL"
	expect "$name" 2 "$pat" err
	mapfile -t lines <"$TMP/$name.err"
	[ "${#lines[@]}" -eq 1 ] || fail "$name-one-line" "stderr has ${#lines[@]} lines"
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
# 0.2 s: about 4 events per I/O, some 25000 in the test host VM, so the I/O
# thread's ring (TRACE_RING_EVENTS, 65536) holds the whole run even when a
# loaded machine starves the writer; 1 s once dropped 8279 of 133134 in CI.
run trace-blk 90 "$HV" run --stats --mem 128M --timeout 80 --trace "$TMP/blk.json" --disk "$TMP/trace.img" \
	"$KERNEL" -- blkbench pvblk0 --time 0.2 randread-4k-qd32
expect trace-blk 0 "randread-4k-qd32" out "^hv: trace: [1-9][0-9]* events written, 0 dropped" err
# shellcheck disable=SC2054 # (one argument: the stages)
blk_stages=(--require doorbell,sqe,io_uring_submit,cqe,post,publish)
tcheck trace-blk-stages "$TMP/blk.json" pvblk0 100 "${blk_stages[@]}"
if [ "$EUID" = 0 ] && [ -e /sys/kernel/tracing/events/kvm/kvm_exit ]; then
	if has_match "^hv: trace: kvm:kvm_exit: [1-9][0-9]* exits read, 0 lost$" "$TMP/trace-blk.err"; then
		tcheck trace-kvm-exit-events "$TMP/blk.json" pvblk0 100 "${blk_stages[@]}" --kvm-exits
	else
		first_match kx "(.*kvm_exit.*)" "$TMP/trace-blk.err"
		fail trace-kvm-exit-events "$kx"
	fi
else
	skip trace-kvm-exit-events # "not root, or no kvm:kvm_exit in tracefs"
fi
[ -n "$kx_mounted" ] && umount /sys/kernel/tracing
# The exits that reached hv are events; the trace has as many as --stats counts.
n_exits=$(grep -c '"cat":"exit"' "$TMP/blk.json")
first_match stats_exits '^hv: stats: exits to hv ([0-9]*)$' "$TMP/trace-blk.err"
[ -n "$stats_exits" ] && [ "$n_exits" -eq "$stats_exits" ] && pass trace-blk-exits ||
	fail trace-blk-exits "$n_exits exit events in the trace, --stats says '$stats_exits'"

# ---- the trap disk: each command's stages, from the I/O thread's hand-off to its interrupt
# Without tracefs (or as another user) no tracepoint: the counters alone, and
# hv says why.  As root this run gets a mount namespace of its own without
# tracefs and debugfs (whose tracing/ mounts tracefs when looked at), so the
# fallback shows even where an earlier test (the bench's KVM statistics)
# left them mounted; a skip only where they stay visible there too.
hide='umount -l /sys/kernel/debug 2>/dev/null; umount -l /sys/kernel/tracing 2>/dev/null
	[ ! -e /sys/kernel/tracing/events/kvm ] && [ ! -e /sys/kernel/debug/tracing/events/kvm ]'
no_tracefs=()
if [ "$EUID" = 0 ] && unshare -m sh -c "$hide" 2>/dev/null; then
	no_tracefs=(unshare -m sh -c "$hide"' && exec "$@"' sh)
fi
run trace-trapblk 90 "${no_tracefs[@]}" "$HV" run --mem 128M --timeout 80 --trace "$TMP/trapblk.json" \
	--trap-disk "$TMP/trace.img" "$KERNEL" -- blkbench trapblk0 --time 1 randread-4k-qd1
expect trace-trapblk 0 "randread-4k-qd1" out "^hv: trace: [1-9][0-9]* events written, 0 dropped" err
if [ "${#no_tracefs[@]}" = 0 ] && [ "$EUID" = 0 ] &&
	{ [ -e /sys/kernel/tracing/events/kvm ] || [ -e /sys/kernel/debug/tracing/events/kvm ]; }; then
	skip trace-kvm-exit-fallback # "tracefs is mounted here and no mount namespace hides it"
elif has_match "^hv: trace: kvm:kvm_exit not read \((no kvm:kvm_exit in tracefs|hv is not root)" \
	"$TMP/trace-trapblk.err"; then
	pass trace-kvm-exit-fallback
else
	first_match kx "(.*kvm_exit.*)" "$TMP/trace-trapblk.err"
	fail trace-kvm-exit-fallback "$kx"
fi
tcheck trace-trapblk-stages "$TMP/trapblk.json" trapblk0 100 --require doorbell,take,sqe,io_uring_submit,cqe,post,irq

# ---- the PV NIC: a ping captured both ways --------------------------------------------
# icmp_count VAR FILE FROM TO KIND: VAR is how many of tcpdump's lines in FILE are
# FROM > TO's ICMP echo KIND (request or reply).
icmp_count() {
	local l n=0 lines
	mapfile -t lines <"$2"
	for l in "${lines[@]}"; do
		[[ $l == *"IP $3 > $4: ICMP echo $5"* ]] && n=$((n + 1))
	done
	printf -v "$1" %d "$n"
}
NS=hvtrace$$
trace_cleanup() { ip netns del "$NS" 2>/dev/null; }
trap 'trace_cleanup; rm -rf "$TMP"' EXIT
if ! ip netns add "$NS" 2>"$TMP/netns.err"; then
	first_match why '(.*)' "$TMP/netns.err"
	fail trace-net-namespace "cannot create a network namespace: $why"
else
	NSX=(ip netns exec "$NS")
	ip -n "$NS" -batch - <<-EOF
		link set lo up
		tuntap add tap0 mode tap
		addr add 10.0.0.1/24 dev tap0
		link set tap0 up
	EOF
	run trace-net 90 "${NSX[@]}" "$HV" run --stats --timeout 80 --net tap:tap0 --pcap "pvnet0:$TMP/net.pcap" \
		--trace "$TMP/net.json" "$KERNEL" -- ip=10.0.0.2/24 gw=10.0.0.1 ping 10.0.0.1 3
	expect trace-net 0 "3 packets transmitted, 3 received" out \
		"^hv: pcap pvnet0: [1-9][0-9]* frames written, 0 dropped" err
	if tcpdump -nn -tt -r "$TMP/net.pcap" >"$TMP/net.tcpdump" 2>"$TMP/tcpdump.err"; then
		pass trace-pcap-tcpdump-reads
	else
		first_match why '(.*)' "$TMP/tcpdump.err"
		fail trace-pcap-tcpdump-reads "$why"
	fi
	icmp_count req "$TMP/net.tcpdump" 10.0.0.2 10.0.0.1 request
	icmp_count rep "$TMP/net.tcpdump" 10.0.0.1 10.0.0.2 reply
	mapfile -t dump <"$TMP/net.tcpdump"
	[ "$req" -eq 3 ] && [ "$rep" -eq 3 ] && pass trace-pcap-icmp ||
		fail trace-pcap-icmp "$req requests, $rep replies: ${dump[*]:0:8}"
	# Every frame the NIC sent and received, as --stats counts them, is in the file.
	first_match frames '(pvnet0 \(tap0\): link [a-z]*; rx [a-z]*, [0-9]* frames.* tx [a-z]*, [0-9]* frames)' \
		"$TMP/trace-net.err"
	[[ $frames =~ rx\ [a-z]*,\ ([0-9]*)\ frames.*\ tx\ [a-z]*,\ ([0-9]*)\ frames ]] &&
		rx=${BASH_REMATCH[1]} tx=${BASH_REMATCH[2]} || rx="" tx=""
	[ -n "$rx" ] && [ "${#dump[@]}" -eq $((rx + tx)) ] && pass trace-pcap-count ||
		fail trace-pcap-count "tcpdump reads ${#dump[@]} frames; --stats: rx ${rx:-?} tx ${tx:-?}"
	# -tt: seconds.microseconds, six digits after the point: as integers without it.
	last=0 back=""
	for l in "${dump[@]}"; do
		t=${l%% *}
		[[ $t =~ ^[0-9]+\.[0-9]{6}$ ]] || { back="not a time: $l"; break; }
		t=$((10#${t/./}))
		[ "$t" -lt "$last" ] && { back="$l after $last"; break; }
		last=$t
	done
	[ -z "$back" ] && pass trace-pcap-monotonic || fail trace-pcap-monotonic "timestamps go back: $back"
	tcheck trace-net-tx-stages "$TMP/net.json" "pvnet0 tx" 4 --require sqe,cqe,post,publish
	# The trap NIC's frames too, and each send's and receive's stages in the timeline.
	run trace-trapnet 90 "${NSX[@]}" "$HV" run --timeout 80 --trap-net tap:tap0 --pcap "trapnet0:$TMP/trap.pcap" \
		--trace "$TMP/trapnet.json" "$KERNEL" -- ip=10.0.0.2/24 gw=10.0.0.1 ping 10.0.0.1 2
	expect trace-trapnet 0 "2 packets transmitted, 2 received" out \
		"^hv: pcap trapnet0: [1-9][0-9]* frames written, 0 dropped" err
	if tcpdump -nn -r "$TMP/trap.pcap" >"$TMP/trap.tcpdump" 2>"$TMP/trap-tcpdump.err"; then
		icmp_count req "$TMP/trap.tcpdump" 10.0.0.2 10.0.0.1 request
		icmp_count rep "$TMP/trap.tcpdump" 10.0.0.1 10.0.0.2 reply
		[ "$req" -eq 2 ] && [ "$rep" -eq 2 ] && pass trace-pcap-trapnet ||
			fail trace-pcap-trapnet "$req requests, $rep replies (want 2 and 2)"
	else
		first_match why '(.*)' "$TMP/trap-tcpdump.err"
		fail trace-pcap-trapnet "tcpdump: $why"
	fi
	# A receive waits for its frame at the end: the last may be open.
	for q in tx rx; do
		tcheck "trace-trapnet-$q-stages" "$TMP/trapnet.json" "trapnet0 $q" 3 \
			--require doorbell,take,sqe,cqe,post,irq --last-open
	done
	trace_cleanup
	trap 'rm -rf "$TMP"' EXIT
fi
trace_checks
