# shellcheck shell=bash
# Seeded fault injection (--fault, docs/FAULTS.md): each rule under a guest
# workload on the PV and the trap disk, checking what the guest reports (the
# error surfaces as an error, acknowledged data is right, the next request
# works, nothing hangs) and what reached the image; a seed replays a run.

# sectors IMG FIRST COUNT: the SHA-256 of COUNT sectors of IMG from FIRST.
sectors() { dd if="$1" bs=512 skip="$2" count="$3" status=none | sha256sum | cut -d' ' -f1; }
# filled COUNT BYTE: the SHA-256 of COUNT sectors all BYTE (decimal).
filled() { head -c $(($1 * 512)) /dev/zero | tr '\0' "\\$(printf %o "$2")" | sha256sum | cut -d' ' -f1; }

# Error rules by request number and by sector range, one run per path: the
# failed write leaves its sectors alone, the failed flush is followed by a
# good one, a read outside the range still works.
for dev in pvblk0 trapblk0; do
	opt=--disk
	[ "$dev" = trapblk0 ] && opt=--trap-disk
	head -c $((1 << 20)) /dev/urandom >"$TMP/e.img"
	cp "$TMP/e.img" "$TMP/e0.img"
	run inject-errors-$dev 60 "$HV" run --timeout 50 --fault-seed 1 "$opt" "$TMP/e.img" \
		--fault "$dev:read-error@n1,write-error@n3,flush-error@n5,read-error@s200-207" \
		"$KERNEL" -- blkops "$dev" r:0:8 w:16:8:90 w:32:8:91 r:16:8 f f r:196:8 r:208:8
	expect inject-errors-$dev 0 "^hv: fault injection on, seed 1 " err \
		"^blkops: r 0 8: I/O error -" out "^blkops: w 16 8 90: ok" out \
		"^blkops: w 32 8 91: I/O error" out "^blkops: r 16 8: ok $(filled 8 90)" out \
		"^blkops: f: I/O error" out "^blkops: f: ok" out "^blkops: r 196 8: I/O error -" out \
		"^blkops: r 208 8: ok $(sectors "$TMP/e0.img" 208 8)" out \
		"^blkops: 8 steps: 4 ok, 4 failed" out
	[ "$(sectors "$TMP/e.img" 16 8)" = "$(filled 8 90)" ] &&
		[ "$(sectors "$TMP/e.img" 32 8)" = "$(sectors "$TMP/e0.img" 32 8)" ] &&
		[ "$(sectors "$TMP/e.img" 0 16)" = "$(sectors "$TMP/e0.img" 0 16)" ] &&
		[ "$(sectors "$TMP/e.img" 24 2024)" = "$(sectors "$TMP/e0.img" 24 2024)" ] &&
		pass inject-errors-$dev-image ||
		fail inject-errors-$dev-image "the image is not the acknowledged writes over the original"

	# A torn write: half of it (whole sectors) in the image, an error to the
	# guest; a completion with the wrong byte count is an error to the guest
	# (hv's drivers trusted it before); the next read sees the torn data.
	cp "$TMP/e0.img" "$TMP/t.img"
	run inject-torn-$dev 60 "$HV" run --timeout 50 --fault-seed 2 "$opt" "$TMP/t.img" \
		--fault "$dev:torn-write@n1,wrong-len@n2,wrong-len@n4" \
		"$KERNEL" -- blkops "$dev" w:0:16:171 r:0:16 r:0:16 f f
	torn=$( (head -c 4096 /dev/zero | tr '\0' '\253'; dd if="$TMP/e0.img" bs=512 skip=8 count=8 status=none) |
		sha256sum | cut -d' ' -f1)
	expect inject-torn-$dev 0 "^blkops: w 0 16 171: I/O error" out "^blkops: r 0 16: I/O error -" out \
		"^blkops: r 0 16: ok $torn" out "^blkops: f: I/O error" out "^blkops: 5 steps: 2 ok, 3 failed" out
	[ "$(sectors "$TMP/t.img" 0 16)" = "$torn" ] &&
		[ "$(sectors "$TMP/t.img" 16 2032)" = "$(sectors "$TMP/e0.img" 16 2032)" ] &&
		pass inject-torn-$dev-image || fail inject-torn-$dev-image "sectors 0..7 are not the write's, or more changed"
done

# Probability and replay: the same seed gives the same decisions, request by
# request; each completion also comes 20 ms late (delay applies to errors too).
steps=$(for i in $(seq 12); do echo r:$((i * 8)):8; done)
for n in 1 2; do
	# shellcheck disable=SC2086
	run inject-replay-$n 60 "$HV" run --timeout 50 --fault-seed 12345 --disk "$TMP/e0.img" \
		--fault "pvblk0:read-error@p0.5,delay=20ms" "$KERNEL" -- blkops pvblk0 $steps
done
expect inject-replay-2 0 "^blkops: 12 steps: ([1-9]|1[01]) ok" out
grep '^blkops:' "$TMP/inject-replay-1.out" >"$TMP/r1"
grep '^blkops:' "$TMP/inject-replay-2.out" >"$TMP/r2"
cmp -s "$TMP/r1" "$TMP/r2" && [ -s "$TMP/r1" ] && pass inject-replay-same ||
	fail inject-replay-same "two runs with seed 12345 differ: $(diff "$TMP/r1" "$TMP/r2" | head -c 400 | tr '\n' '|')"
run inject-replay-other 60 "$HV" run --timeout 50 --fault-seed 54321 --disk "$TMP/e0.img" \
	--fault "pvblk0:read-error@p0.5" "$KERNEL" -- blkops pvblk0 $steps
grep '^blkops:' "$TMP/inject-replay-other.out" >"$TMP/r3"
cmp -s "$TMP/r1" "$TMP/r3" && fail inject-replay-other "seed 54321 made the same 12 decisions as 12345" ||
	pass inject-replay-other

# Delay: the guest's own clock sees each request take at least the delay,
# on both paths; under a delay on a fifth of the requests (completions out of
# order) 32 concurrent requests a round still verify.
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
head -c $((4 << 20)) /dev/urandom >"$TMP/v.img"
run inject-delay-verify 60 "$HV" run --timeout 50 --fault-seed 3 --disk "$TMP/v.img" \
	--fault "pvblk0:delay=5ms@p0.2" "$KERNEL" -- blkverify pvblk0 10
expect inject-delay-verify 0 "blkverify: pvblk0: [0-9]+ requests at depth [0-9]+, 0 mismatches or errors" out \
	"^blkverify-sha256: $(sha "$TMP/v.img")" out

# A rule for a device the VM lacks is refused before the guest starts.
run inject-no-device 30 "$HV" run --timeout 20 --disk null:1M --fault trapblk0:read-error "$KERNEL" -- blkops pvblk0 f
expect inject-no-device 2 "^hv: --fault: this VM has no trapblk0" err
