# shellcheck shell=bash disable=SC2154 # first_match, hashes and the like set variables by name
# Seeded fault injection (--fault, docs/FAULTS.md): every rule under a guest
# workload on the PV and the trap devices, checking what the guest reports
# (the error surfaces as an error, acknowledged data is right, the driver
# recovers, nothing hangs) and what reached the image; a seed replays a run.
# One hv run carries several rules.  Each process start takes a good part of
# a second in the test host VM (TCG), so the expected data is made once and
# compared with cmp, files are read by bash where it can, and runs that
# mostly wait run side by side.

# run_bg NAME TIMEOUT CMD...: run in the background; run_wait NAME sets RC.
declare -A BG_PIDS=()
run_bg() {
	(
		run "$@"
		echo "$RC" >"$TMP/$1.rc"
	) &
	BG_PIDS[$1]=$!
}
run_wait() { wait "${BG_PIDS[$1]}"; read -r RC <"$TMP/$1.rc"; }

head -c $((1 << 20)) /dev/urandom >"$TMP/e0.img"
# The image after the disk run below: its torn write's first half (8 sectors
# of 171), the original to sector 16, sectors 16..23 all 90 (the write that
# lands), the original after.  And what the guest's reads see.
head -c 4096 /dev/zero | tr '\0' '\132' >"$TMP/f90"
head -c 4096 /dev/zero | tr '\0' '\253' >"$TMP/f171"
cp "$TMP/e0.img" "$TMP/e-want.img"
dd if="$TMP/f171" of="$TMP/e-want.img" conv=notrunc status=none
dd if="$TMP/f90" of="$TMP/e-want.img" bs=512 seek=16 conv=notrunc status=none
dd if="$TMP/e-want.img" of="$TMP/torn" bs=512 count=16 status=none
dd if="$TMP/e0.img" of="$TMP/s208" bs=512 skip=208 count=8 status=none
hashes h "$TMP/f90" "$TMP/s208" "$TMP/torn"
filled90=${h[0]} s208=${h[1]} torn=${h[2]}

# Every disk rule by request number and sector range, and the interrupt
# rules, in one run per path.  Requests: 1 read fails; 2 write lands; 3
# write fails and leaves its sectors alone; 4 reads 2's data; 5 flush fails,
# 6 the next works; 7 a read touching sectors 200..207 fails, 8 one past
# them works; 9 a torn write puts half its sectors in the image and fails;
# 10 a read completed with the wrong byte count is an error to the guest
# (hv's drivers took it for good data before); 11 reads the torn data; 12 a
# flush with the wrong count fails (at most 14 guest words: no 13th step).  Interrupts 2, 3 and
# 9 are lost, 5 comes twice, 7 comes 30 ms late: hv's drivers give a wait
# at most 100 ms before they look at the device again (haltpoll=0: the PV
# driver halts at once, so its poll window cannot find them first).
steps="r:0:8 w:16:8:90 w:32:8:91 r:16:8 f f r:196:8 r:208:8 w:0:16:171 r:0:16 r:0:16 f"
rules="read-error@n1,write-error@n3,flush-error@n5,read-error@s200-207,torn-write@n9"
rules="$rules,wrong-len@n10,wrong-len@n12,irq-lost@n2,irq-lost@n3,irq-dup@n5,irq-late=30ms@n7"
rules="$rules,irq-lost@n9"
for dev in pvblk0 trapblk0; do
	opt=--disk
	[ "$dev" = trapblk0 ] && opt=--trap-disk
	cp "$TMP/e0.img" "$TMP/e.img"
	# shellcheck disable=SC2086
	run inject-disk-$dev 60 "$HV" run --timeout 50 --fault-seed 1 "$opt" "$TMP/e.img" \
		--fault "$dev:$rules" "$KERNEL" -- haltpoll=0 blkops "$dev" $steps
	expect inject-disk-$dev 0 "^hv: fault injection on, seed 1 " err \
		"^blkops: r 0 8: I/O error -" out "^blkops: w 16 8 90: ok" out \
		"^blkops: w 32 8 91: I/O error" out "^blkops: r 16 8: ok $filled90" out \
		"^blkops: f: I/O error" out "^blkops: f: ok" out "^blkops: r 196 8: I/O error -" out \
		"^blkops: r 208 8: ok $s208" out \
		"^blkops: w 0 16 171: I/O error" out "^blkops: r 0 16: I/O error -" out \
		"^blkops: r 0 16: ok $torn" out "^blkops: 12 steps: 5 ok, 7 failed" out \
		"^blkops: $dev: .* [1-9][0-9]* recovered by timeout" out
	cmp -s "$TMP/e.img" "$TMP/e-want.img" && pass inject-disk-$dev-image ||
		fail inject-disk-$dev-image "the image is not the acknowledged and torn writes over the original"
done

# Probability and replay: the same seed gives the same decisions, request by
# request; every completion also comes 20 ms late (a delay applies to errors too).
reads=()
for i in {1..12}; do reads+=("r:$((i * 8)):8"); done
# blkops_lines VAR FILE: VAR is FILE's blkops step and summary lines, one string.
blkops_lines() {
	local l lines v=""
	mapfile -t lines <"$2"
	for l in "${lines[@]}"; do
		[[ $l =~ ^blkops:\ ([rwf]\ |[0-9]+\ steps) ]] && v+="$l|"
	done
	printf -v "$1" %s "$v"
}
for n in 1 2; do
	run inject-replay-$n 60 "$HV" run --timeout 50 --fault-seed 12345 --disk "$TMP/e0.img" \
		--fault "pvblk0:read-error@p0.5,delay=20ms" "$KERNEL" -- blkops pvblk0 "${reads[@]}"
	blkops_lines "r$n" "$TMP/inject-replay-$n.out"
done
expect inject-replay-2 0 "^blkops: 12 steps: ([1-9]|1[01]) ok" out
bars=${r1//[^|]/}
[ "$r1" = "$r2" ] && [ "${#bars}" = 13 ] && pass inject-replay-same ||
	fail inject-replay-same "two runs with seed 12345 differ: ${r1:0:300} / ${r2:0:300}"

# Delay: the guest's own clock sees each request take at least the delay.
for dev in pvblk0 trapblk0; do
	opt=--disk
	[ "$dev" = trapblk0 ] && opt=--trap-disk
	run inject-delay-$dev 60 "$HV" run --timeout 50 "$opt" null:16M --fault "$dev:delay=20ms" \
		"$KERNEL" -- blkbench "$dev" --time 0.3 randread-4k-qd1
	first_match mean ' lat mean *([0-9.]*) us' "$TMP/inject-delay-$dev.out"
	expect inject-delay-$dev 0 "lat mean" out
	# At least 20000 us: its whole part is (a mean of 19999.9 is not).
	[[ $mean =~ ^([0-9]+)(\.[0-9]*)?$ ]] && [ "$((10#${BASH_REMATCH[1]}))" -ge 20000 ] &&
		pass inject-delay-$dev-latency ||
		fail inject-delay-$dev-latency "mean latency ${mean:-?} us under a 20 ms delay"
done

# blkverify (32 requests in flight on PV) under delays that reorder
# completions and interrupts lost, doubled and late, with the PV driver's
# default poll window: every read matches, the image is the guest's copy.
head -c $((4 << 20)) /dev/urandom >"$TMP/v.img"
for dev in pvblk0 trapblk0; do
	opt=--disk
	[ "$dev" = trapblk0 ] && opt=--trap-disk
	cp "$TMP/v.img" "$TMP/v-$dev.img"
	run inject-verify-$dev 60 "$HV" run --timeout 50 --fault-seed 5 "$opt" "$TMP/v-$dev.img" \
		--fault "$dev:delay=5ms@p0.2,irq-lost@p0.2,irq-dup@p0.2,irq-late=5ms@p0.2" \
		"$KERNEL" -- blkverify "$dev" 10
	expect inject-verify-$dev 0 "blkverify: $dev: [0-9]+ requests at depth [0-9]+, 0 mismatches or errors" out
	hashes h "$TMP/v-$dev.img"
	check inject-verify-$dev-image "$TMP/inject-verify-$dev.out" "^blkverify-sha256: ${h[0]}"
done

# NIC rules on a loop NIC: netloop counts each frame that comes back.
# Frame 10 is dropped (lost), 20 doubled (its second copy late), 30 held
# until 31 has left (counted lost, then late), 40 corrupted past its header
# (corrupt); at frame 60 the link goes down for 50 ms (the guest's frames
# meanwhile are refused: lost; netloop writes its window off after 5 s
# without progress) and comes back: the rest arrive intact.
#
# PUT /faults on a device hv started without --fault (--api-sock puts every
# device's hooks on): while netloop runs on a loop NIC (which loses nothing
# by itself), every other frame hv delivers is dropped until the rule has
# fired 50 times (netloop counts them lost), then the rule goes (PUT's
# reply shows it pending, or already gone if the I/O thread ran first).
#
# Both NICs' runs at once, and the API's beside them: each NIC's run waits
# 5 s for its lost frames, time the API client's start (7 s of Python in the
# test host VM) and its run use.
S=$TMP/inject-api.sock
python3 tests/integration/faults-api.py "$S" pvnet0 rx-drop@p0.5 50 "$TMP/inject-api.ready" \
	>"$TMP/inject-api-client.out" 2>"$TMP/inject-api-client.err" &
client=$!
for dev in pvnet0 trapnet0; do
	opt=--net
	[ "$dev" = trapnet0 ] && opt=--trap-net
	run_bg inject-net-$dev 60 "$HV" run --timeout 50 --fault-seed 6 "$opt" loop \
		--fault "$dev:drop@n10,dup@n20,reorder@n30,corrupt@n40,link-flap=50ms@n60" \
		"$KERNEL" -- netloop "$dev" 300
done
# (The client gives up 20 s after it is ready: hv starts when it is.)
for _ in {1..300}; do [ -e "$TMP/inject-api.ready" ] && break; nap 0.1; done
run inject-api 60 "$HV" run --timeout 50 --net loop --api-sock "$S" "$KERNEL" -- netloop pvnet0 5000
expect inject-api 1 "^netloop: pvnet0 5000 frames sent, [1-9][0-9]+ back intact, 0 corrupt, [1-9][0-9]+ lost, 0 late" out
wait "$client" && check inject-api-put "$TMP/inject-api-client.out" \
	'"pvnet0":\{"rules":\[\{"rule":"rx-drop@p0.5","fired":[1-9][0-9]+\}\],"pending":false' \
	'"pvnet0":\{"rules":(\[\{"rule":"rx-drop@p0.5","fired":[0-9]+\}\],"pending":true|\[\],"pending":false)' ||
	fail inject-api-put "$(cat "$TMP/inject-api-client.err")"
for dev in pvnet0 trapnet0; do
	opt=--net
	[ "$dev" = trapnet0 ] && opt=--trap-net
	run_wait inject-net-$dev
	expect inject-net-$dev 1 "^netloop: $dev 300 frames sent, (2[0-9][0-9]) back intact, 1 corrupt, ([3-9]|[1-9][0-9]+) lost, 2 late, [0-9]+ foreign" out \
		"$dev: loop link down" err "$dev: loop link up" err
	first_match intact ' sent, ([0-9]*) back intact' "$TMP/inject-net-$dev.out"
	[ "${intact:-0}" -ge 250 ] && pass inject-net-$dev-recovers ||
		fail inject-net-$dev-recovers "only ${intact:-?} of 300 frames came back intact after the flap"

	# The rx- rules on the frames hv delivers: frame 10 that comes back is
	# dropped (lost), 20 arrives twice (late), 30 after 31 (lost, then late),
	# 40 has a bit flipped past its header (corrupt).
	run inject-rx-$dev 60 "$HV" run --timeout 50 --fault-seed 6 "$opt" loop \
		--fault "$dev:rx-drop@n10,rx-dup@n20,rx-reorder@n30,rx-corrupt@n40" \
		"$KERNEL" -- netloop "$dev" 100
	expect inject-rx-$dev 1 "^netloop: $dev 100 frames sent, 97 back intact, 1 corrupt, 2 lost, 2 late, 0 foreign" out
done

# On a tap in a network namespace of this file's (10.0.0.1 the host's end,
# 10.0.0.2 the guest; nothing leaves it).  Interrupts lost (at most two in a
# row), doubled and late: the guest's network loop bounds each wait (100 ms)
# and looks at the NIC again, so every echo reply is seen within its 500 ms
# but the one hv drops: received frame 3 (1 is the ARP reply), the second
# reply, which ping counts lost.
# Then a TCP echo (PV) under the same interrupt faults and received frames
# dropped, doubled, reordered and corrupted: the host's TCP retransmits,
# lwIP's checksums and sequence numbers discard the rest, and the bytes
# echoed are the bytes sent.
INJ_NS=hvinj$$
inj_cleanup() { ip netns del "$INJ_NS" 2>/dev/null; }
irq_rules="irq-lost@n2,irq-lost@n3,irq-dup@n4,irq-lost@n6,irq-late=30ms@n7,irq-lost@n9"
if ip netns add "$INJ_NS" 2>"$TMP/inj-netns.err"; then
	trap 'inj_cleanup; rm -rf "$TMP"' EXIT
	INJ=(ip netns exec "$INJ_NS")
	"${INJ[@]}" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 # no IPv6 frames to number
	ip -n "$INJ_NS" -batch - <<-EOF
		link set lo up
		tuntap add tap0 mode tap
		addr add 10.0.0.1/24 dev tap0
		link set tap0 up
	EOF
	for dev in pvnet0 trapnet0; do
		opt=--net
		[ "$dev" = trapnet0 ] && opt=--trap-net
		run inject-irq-$dev 60 "${INJ[@]}" "$HV" run --timeout 50 "$opt" tap:tap0 \
			--fault "$dev:$irq_rules,rx-drop@n3" "$KERNEL" -- ip=10.0.0.2/24 ping 10.0.0.1 4 \
			--interval 500
		expect inject-irq-$dev 0 "^4 packets transmitted, 3 received, 25% packet loss" out \
			"^no reply from 10.0.0.1: icmp_seq=2$" out
	done
	# TCP on the PV NIC only: both kinds' receives pass through the same rx- code
	# (netloop above checks each), and a trap NIC's TCP is slow.
	dev=pvnet0
	"${INJ[@]}" timeout -k 5 60 "$HV" run --timeout 50 --net tap:tap0 \
		--fault "$dev:rx-drop@n10,rx-dup@n15,rx-reorder@n20,rx-corrupt@n25,$irq_rules" \
		"$KERNEL" -- ip=10.0.0.2/24 tcpecho 7 --count 1 \
		>"$TMP/inject-tcp-$dev.out" 2>"$TMP/inject-tcp-$dev.err" &
	bg=$!
	for _ in {1..300}; do
		has_match "listening on" "$TMP/inject-tcp-$dev.out" && break
		kill -0 "$bg" 2>/dev/null || break
		nap 0.1
	done
	"${INJ[@]}" python3 tests/integration/net-check.py tcp-echo 10.0.0.2 $((64 << 10)) \
		2>"$TMP/inject-tcp-$dev.check" && pass inject-tcp-$dev-bytes ||
		fail inject-tcp-$dev-bytes "$(tail -1 "$TMP/inject-tcp-$dev.check")"
	wait "$bg"
	RC=$?
	expect inject-tcp-$dev 0 "^tcpecho: 1 connections, $((64 << 10)) bytes echoed" out

	inj_cleanup
	trap 'rm -rf "$TMP"' EXIT
else
	fail inject-netns "cannot create a network namespace: $(head -1 "$TMP/inj-netns.err")"
fi

# A rule for a device the VM lacks is refused before the guest starts.
run inject-no-device 30 "$HV" run --timeout 20 --disk null:1M --fault trapblk0:read-error "$KERNEL" -- blkops pvblk0 f
expect inject-no-device 2 "^hv: --fault: this VM has no trapblk0" err
