# shellcheck shell=bash
# Seeded fault injection (--fault, docs/FAULTS.md): every rule under a guest
# workload on the PV and the trap devices, checking what the guest reports
# (the error surfaces as an error, acknowledged data is right, the driver
# recovers, nothing hangs) and what reached the image; a seed replays a run.
# One hv run carries several rules: about 70 s in the test host VM (42 s
# before the NIC receive, interrupt and API checks; measured in one session).

# sectors IMG FIRST COUNT: the SHA-256 of COUNT sectors of IMG from FIRST.
sectors() { dd if="$1" bs=512 skip="$2" count="$3" status=none | sha256sum | cut -d' ' -f1; }
# filled COUNT BYTE: the SHA-256 of COUNT sectors all BYTE (decimal).
filled() { head -c $(($1 * 512)) /dev/zero | tr '\0' "\\$(printf %o "$2")" | sha256sum | cut -d' ' -f1; }

head -c $((1 << 20)) /dev/urandom >"$TMP/e0.img"
# What sectors 0..15 hold after the torn write below: its first half, then the original.
torn=$( (head -c 4096 /dev/zero | tr '\0' '\253'; dd if="$TMP/e0.img" bs=512 skip=8 count=8 status=none) |
	sha256sum | cut -d' ' -f1)

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
		"^blkops: w 32 8 91: I/O error" out "^blkops: r 16 8: ok $(filled 8 90)" out \
		"^blkops: f: I/O error" out "^blkops: f: ok" out "^blkops: r 196 8: I/O error -" out \
		"^blkops: r 208 8: ok $(sectors "$TMP/e0.img" 208 8)" out \
		"^blkops: w 0 16 171: I/O error" out "^blkops: r 0 16: I/O error -" out \
		"^blkops: r 0 16: ok $torn" out "^blkops: 12 steps: 5 ok, 7 failed" out \
		"^blkops: $dev: .* [1-9][0-9]* recovered by timeout" out
	[ "$(sectors "$TMP/e.img" 0 16)" = "$torn" ] &&
		[ "$(sectors "$TMP/e.img" 16 8)" = "$(filled 8 90)" ] &&
		[ "$(sectors "$TMP/e.img" 24 2024)" = "$(sectors "$TMP/e0.img" 24 2024)" ] &&
		pass inject-disk-$dev-image ||
		fail inject-disk-$dev-image "the image is not the acknowledged and torn writes over the original"
done

# Probability and replay: the same seed gives the same decisions, request by
# request; every completion also comes 20 ms late (a delay applies to errors too).
reads=$(for i in $(seq 12); do echo r:$((i * 8)):8; done)
for n in 1 2; do
	# shellcheck disable=SC2086
	run inject-replay-$n 60 "$HV" run --timeout 50 --fault-seed 12345 --disk "$TMP/e0.img" \
		--fault "pvblk0:read-error@p0.5,delay=20ms" "$KERNEL" -- blkops pvblk0 $reads
	grep -E '^blkops: ([rwf] |[0-9]+ steps)' "$TMP/inject-replay-$n.out" >"$TMP/r$n"
done
expect inject-replay-2 0 "^blkops: 12 steps: ([1-9]|1[01]) ok" out
cmp -s "$TMP/r1" "$TMP/r2" && [ "$(wc -l <"$TMP/r1")" = 13 ] && pass inject-replay-same ||
	fail inject-replay-same "two runs with seed 12345 differ: $(diff "$TMP/r1" "$TMP/r2" | head -c 400 | tr '\n' '|')"

# Delay: the guest's own clock sees each request take at least the delay.
for dev in pvblk0 trapblk0; do
	opt=--disk
	[ "$dev" = trapblk0 ] && opt=--trap-disk
	run inject-delay-$dev 60 "$HV" run --timeout 50 "$opt" null:16M --fault "$dev:delay=20ms" \
		"$KERNEL" -- blkbench "$dev" --time 0.3 randread-4k-qd1
	mean=$(sed -n 's/.* lat mean *\([0-9.]*\) us.*/\1/p' "$TMP/inject-delay-$dev.out" | head -1)
	expect inject-delay-$dev 0 "lat mean" out
	awk -v m="${mean:-0}" 'BEGIN { exit !(m >= 20000) }' && pass inject-delay-$dev-latency ||
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
	check inject-verify-$dev-image "$TMP/inject-verify-$dev.out" "^blkverify-sha256: $(sha "$TMP/v-$dev.img")"
done

# NIC rules on a loop NIC: netloop counts each frame that comes back.
# Frame 10 is dropped (lost), 20 doubled (its second copy late), 30 held
# until 31 has left (counted lost, then late), 40 corrupted past its header
# (corrupt); at frame 60 the link goes down for 50 ms (the guest's frames
# meanwhile are refused: lost; netloop writes its window off after 5 s
# without progress) and comes back: the rest arrive intact.
for dev in pvnet0 trapnet0; do
	opt=--net
	[ "$dev" = trapnet0 ] && opt=--trap-net
	run inject-net-$dev 60 "$HV" run --timeout 50 --fault-seed 6 "$opt" loop \
		--fault "$dev:drop@n10,dup@n20,reorder@n30,corrupt@n40,link-flap=50ms@n60" \
		"$KERNEL" -- netloop "$dev" 300
	expect inject-net-$dev 1 "^netloop: $dev 300 frames sent, (2[0-9][0-9]) back intact, 1 corrupt, ([3-9]|[1-9][0-9]+) lost, 2 late, [0-9]+ foreign" out \
		"$dev: loop link down" err "$dev: loop link up" err
	intact=$(sed -n 's/.* sent, \([0-9]*\) back intact.*/\1/p' "$TMP/inject-net-$dev.out")
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
	"${INJ[@]}" ip link set lo up
	"${INJ[@]}" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 # no IPv6 frames to number
	"${INJ[@]}" ip tuntap add tap0 mode tap
	"${INJ[@]}" ip addr add 10.0.0.1/24 dev tap0
	"${INJ[@]}" ip link set tap0 up
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
	for _ in $(seq 300); do
		grep -q "listening on" "$TMP/inject-tcp-$dev.out" && break
		kill -0 "$bg" 2>/dev/null || break
		sleep 0.1
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

# PUT /faults on a device hv started without --fault (--api-sock puts every
# device's hooks on): while netloop runs on a loop NIC (which loses nothing
# by itself), every other frame hv delivers is dropped until the rule has
# fired 50 times (netloop counts them lost), then the rule goes.
S=$TMP/inject-api.sock
python3 tests/integration/faults-api.py "$S" pvnet0 rx-drop@p0.5 50 "$TMP/inject-api.ready" \
	>"$TMP/inject-api-client.out" 2>"$TMP/inject-api-client.err" &
client=$!
for _ in $(seq 100); do [ -e "$TMP/inject-api.ready" ] && break; sleep 0.1; done
run inject-api 60 "$HV" run --timeout 50 --net loop --api-sock "$S" "$KERNEL" -- netloop pvnet0 5000
expect inject-api 1 "^netloop: pvnet0 5000 frames sent, [1-9][0-9]+ back intact, 0 corrupt, [1-9][0-9]+ lost, 0 late" out
wait "$client" && check inject-api-put "$TMP/inject-api-client.out" \
	'"pvnet0":\{"rules":\[\{"rule":"rx-drop@p0.5","fired":[1-9][0-9]+\}\],"pending":false' \
	'"pvnet0":\{"rules":\[\{"rule":"rx-drop@p0.5","fired":[0-9]+\}\],"pending":true' ||
	fail inject-api-put "$(cat "$TMP/inject-api-client.err")"

# A rule for a device the VM lacks is refused before the guest starts.
run inject-no-device 30 "$HV" run --timeout 20 --disk null:1M --fault trapblk0:read-error "$KERNEL" -- blkops pvblk0 f
expect inject-no-device 2 "^hv: --fault: this VM has no trapblk0" err
