# shellcheck shell=bash
# Faults: a full file system under the image, a guest flooding hv's
# hypercall port, doorbells and trap registers (hv's memory flat, another
# guest still served), and two guests at once that must find nothing of each
# other.  Image checks: faults-check.py.  (Durability: durability.sh.)
FCHECK="python3 tests/integration/faults-check.py"

# Process starts are slow in the test host VM (tenths of a second each), and
# the loops below poll often: they use shell builtins only (lib.sh's nap).

# has_line FILE TEXT: some line of FILE starts with TEXT.
has_line() {
	local l
	while IFS= read -r l; do [[ $l == "$2"* ]] && return 0; done 2>/dev/null <"$1"
	return 1
}

# wait_line FILE TEXT PID [TENTHS]: until a line of FILE starts with TEXT (0),
# PID has died or TENTHS tenths of a second went by (1).
wait_line() {
	local i
	for ((i = 0; i < ${4:-300}; i++)); do
		has_line "$1" "$2" && return 0
		kill -0 "$3" 2>/dev/null || { has_line "$1" "$2"; return; }
		nap 0.1
	done
	return 1
}

# rss PID: sets RSS to hv's resident set in KiB, empty once hv is gone.
rss() {
	local k v u
	RSS=""
	while read -r k v u; do
		[ "$k" = VmRSS: ] && { RSS=$v; return; }
	done 2>/dev/null <"/proc/$1/status"
}

# ---- a full file system under the image ----------------------------------------
# A 4 MiB tmpfs holds two 8 MiB sparse images (one for the PV path, one for
# the trap path) whose first MiB is data, and a filler file that takes the
# rest of the space.  Writes over the data fit (tmpfs overwrites in place);
# a write into the hole cannot.  The guest must see the I/O error status,
# hv must serve the next requests, and each image must hold exactly the
# writes that succeeded (a failed one may have landed in part, sector by
# sector, where there was space).
full=$TMP/full
mkdir -p "$full"
if ! mount -t tmpfs -o size=4m tmpfs "$full" 2>"$TMP/full-mount.err"; then
	fail faults-full-fs-mount "cannot mount a small tmpfs: $(cat "$TMP/full-mount.err")"
else
	head -c $((1 << 20)) /dev/urandom >"$TMP/full-data"
	truncate -s 8M "$full/pv.img" "$full/trap.img" "$TMP/full.ref"
	for f in "$full/pv.img" "$full/trap.img" "$TMP/full.ref"; do
		dd if="$TMP/full-data" of="$f" conv=notrunc status=none
	done
	dd if=/dev/zero of="$full/filler" bs=64k status=none 2>/dev/null
	filler=$(sha "$full/filler")
	data_sum=$(sha "$TMP/full-data")
	d_sum=$(printf 'D%.0s' {1..4096} | sha256sum) zero_sum=$(head -c 4096 /dev/zero | sha256sum)
	steps="r:0:2048 w:4096:8:51 f w:8:8:68 f w:2040:16:85 r:8:8 r:4096:8 f"
	for kind in pv trap; do
		opt=--disk dev=pvblk0
		[ $kind = trap ] && opt=--trap-disk dev=trapblk0
		# shellcheck disable=SC2086
		run faults-full-fs-$kind 60 "$HV" run --stats --timeout 50 $opt "$full/$kind.img" "$KERNEL" -- \
			blkops $dev $steps
		expect faults-full-fs-$kind 0 "blkops: r 0 2048: ok $data_sum" out \
			"blkops: w 4096 8 51: I/O error" out "blkops: w 8 8 68: ok" out \
			"blkops: w 2040 16 85: I/O error" out "blkops: r 8 8: ok ${d_sum%% *}" out \
			"blkops: r 4096 8: ok ${zero_sum%% *}" out "blkops: 9 steps: 7 ok, 2 failed" out \
			"$dev \($kind.img, buffered\).* 2 I/O errors" err
	done
	if $FCHECK sectors "$full/pv.img" "$TMP/full.ref" ok:8:8:68 failed:4096:8:51 failed:2040:16:85 \
		-- "$full/trap.img" "$TMP/full.ref" ok:8:8:68 failed:4096:8:51 failed:2040:16:85 \
		>"$TMP/full.check"; then
		pass faults-full-fs-images
	else
		fail faults-full-fs-images "$(cat "$TMP/full.check")"
	fi
	if [ "$(sha "$full/filler")" = "$filler" ]; then
		pass faults-full-fs-filler
	else
		fail faults-full-fs-filler "the filler file changed"
	fi
	umount "$full"
fi

# ---- a guest flooding hv -------------------------------------------------------
# For each of the hypercall port, the doorbells and the trap registers: a
# guest hammers it for 10 s while the host samples hv's resident memory
# every 0.5 s, and a second guest runs a 3 s random-read benchmark on its
# own disk.  Pass: the flooder got the right answer every time, its disks
# read afterwards, its images are unchanged, hv's RSS grew by at most
# FLOOD_RSS_KIB (the kernel updates RSS in steps of up to 64 pages per
# thread), hv wrote no more than a few lines, and the other guest
# finished with at least a tenth of its IOPS alone (the test host VM has
# one CPU: the two guests share it, so half is fair).
FLOOD_RSS_KIB=512
head -c $((4 << 20)) /dev/urandom >"$TMP/flood.img"
head -c $((1 << 20)) /dev/urandom >"$TMP/flood-trap.img"
head -c $((4 << 20)) /dev/urandom >"$TMP/victim.img"
flood_sums="$(sha "$TMP/flood.img") $(sha "$TMP/flood-trap.img")"
victim() { # victim NAME: 3 s of randread-4k-qd1 on victim.img; its IOPS in $TMP/NAME.iops
	run "$1" 60 "$HV" run --timeout 50 --disk "$TMP/victim.img" "$KERNEL" -- \
		blkbench pvblk0 --time 3 --json randread-4k-qd1
	sed -n 's/.*"iops":\([0-9]*\).*/\1/p' "$TMP/$1.out" | head -1 >"$TMP/$1.iops"
}
victim faults-victim-alone
expect faults-victim-alone 0 '"workload":"randread-4k-qd1".*"iops":[1-9]' out
alone=$(cat "$TMP/faults-victim-alone.iops")
for what in hypercall doorbell trap; do
	name=faults-flood-$what
	"$HV" run --stats --timeout 60 --disk "$TMP/flood.img" --trap-disk "$TMP/flood-trap.img" \
		"$KERNEL" -- flood $what 10 >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	if ! wait_line "$TMP/$name.out" "flood: start" "$pid"; then
		wait "$pid"
		RC=$?
		expect "$name" 0 "^flood: start" out
		continue
	fi
	rss "$pid"
	first=$RSS peak=$RSS samples=0
	victim "faults-victim-$what" &
	vpid=$!
	while ! has_line "$TMP/$name.out" "flood: end" && rss "$pid" && [ -n "$RSS" ]; do
		[ "$RSS" -gt "$peak" ] && peak=$RSS
		samples=$((samples + 1))
		nap 0.5
	done
	wait "$vpid"
	wait "$pid"
	RC=$?
	expect "$name" 0 "^flood: end $what: [1-9][0-9]* accesses .*, 0 wrong answers" out \
		"flood: after: pvblk0 reads: ok" out "flood: after: trapblk0 reads: ok" out
	during=$(<"$TMP/faults-victim-$what.iops")
	growth=$((peak - first))
	[ "$samples" -ge 10 ] && [ "$growth" -le "$FLOOD_RSS_KIB" ] &&
		pass "$name-rss (first $first KiB, peak $peak KiB over $samples samples: +$growth KiB)" ||
		fail "$name-rss" "hv's RSS from $first to $peak KiB (bound +$FLOOD_RSS_KIB) over $samples samples"
	errb=$(wc -c <"$TMP/$name.err")
	if [ "$errb" -lt 16384 ]; then
		pass "$name-quiet ($errb bytes on stderr)"
	else
		fail "$name-quiet" "hv wrote $errb bytes to stderr"
	fi
	if [ -n "$during" ] && [ -n "$alone" ] && [ $((during * 10)) -ge "$alone" ]; then
		pass "$name-other-guest (randread-4k-qd1 $during IOPS beside the flood, $alone alone: $((during * 100 / alone))%)"
	else
		fail "$name-other-guest" "IOPS beside the flood '${during}', alone '${alone}'" \
			"$(tail -c 300 "$TMP/faults-victim-$what.out" | tr '\n' '|')"
	fi
done
[ "$(sha "$TMP/flood.img") $(sha "$TMP/flood-trap.img")" = "$flood_sums" ] &&
	pass faults-flood-images || fail faults-flood-images "the flooder's images changed"

# ---- two guests at once --------------------------------------------------------
# A and B run `isolate` together, each on its own images, marked with its
# own seed: each marks its RAM, reads its disks in, writes 16 marked pages
# to its first disk, lists its devices, probes the MMIO window, then scans
# its whole memory for 4 s (time enough for the other to boot and plant).  Neither may find the other's marked pages,
# devices or controllers, and each image may hold only its own guest's
# writes.  C, beside them, is the control: its disk is marked with A's
# seed, so it must find A's disk pages in its RAM and say FAIL (the scan
# sees what is there).

# tag KIND SEED: isolate's tag, SHA-256("hv-isolate KIND SEED"), as printf escapes in TAG.
tag() {
	local hex i
	hex=$(printf 'hv-isolate %s %s' "$1" "$2" | sha256sum)
	TAG=""
	for ((i = 0; i < 64; i += 2)); do TAG+="\\x${hex:i:2}"; done
}
# marked FILE PAGES SEED [WRITTEN]: an image of PAGES pages marked with SEED's
# disk tag, and with WRITTEN the 16 pages at 1 MiB with its ram tag (what
# isolate writes there).
marked() {
	local p disk ram
	tag disk "$3"
	disk=$TAG
	tag ram "$3"
	ram=$TAG
	for ((p = 0; p < $2; p++)); do
		# shellcheck disable=SC2059 # the format is the tag's escapes
		if [ -n "${4:-}" ] && [ $p -ge 256 ] && [ $p -lt 272 ]; then
			printf "$ram%.0s" {1..128}
		else
			printf "$disk%.0s" {1..128}
		fi
	done >"$1"
}
sa=a$RANDOM sb=b$RANDOM
marked "$TMP/iso-a.img" 512 $sa
marked "$TMP/iso-at.img" 256 $sa
marked "$TMP/iso-b.img" 768 $sb
marked "$TMP/iso-c.img" 512 $sa
"$HV" run --timeout 60 --disk "$TMP/iso-a.img" --trap-disk "$TMP/iso-at.img" "$KERNEL" -- \
	isolate $sa $sb 4 >"$TMP/faults-isolate-a.out" 2>"$TMP/faults-isolate-a.err" &
pa=$!
"$HV" run --timeout 60 --disk "$TMP/iso-b.img" "$KERNEL" -- \
	isolate $sb $sa 4 >"$TMP/faults-isolate-b.out" 2>"$TMP/faults-isolate-b.err" &
pb=$!
"$HV" run --timeout 60 --disk "$TMP/iso-c.img" "$KERNEL" -- \
	isolate c$RANDOM $sa 4 >"$TMP/faults-isolate-control.out" 2>"$TMP/faults-isolate-control.err" &
pc=$!
wait $pa; ra=$?
wait $pb; rb=$?
wait $pc; RC=$?
expect faults-isolate-control 1 "other-disk marked pages 256\.\.256" out "isolate: FAIL" out
RC=$ra
expect faults-isolate-a 0 "isolate: ok" out "other-ram marked pages 0\.\.0" out \
	"other-disk marked pages 0\.\.0" out "isolate: 3 devices" out \
	"device [0-9]+ type 3 index 0 capacity 4096 " out "device [0-9]+ type 2 index 0 capacity 2048 " out \
	"isolate: mmio 0x1000000000 trapblk capacity 2048" out "isolate: mmio [0-9]+ probes, 1 answered" out
RC=$rb
expect faults-isolate-b 0 "isolate: ok" out "other-ram marked pages 0\.\.0" out \
	"other-disk marked pages 0\.\.0" out "isolate: 2 devices" out \
	"device [0-9]+ type 3 index 0 capacity 6144 " out "isolate: mmio [0-9]+ probes, 0 answered" out
# At once: each scanned after the other had planted its marks.
planted() { sed -n 's/^isolate: planted at \([0-9]*\) ns.*/\1/p' "$1"; }
last_pass() { sed -n 's/^isolate: [0-9]* passes of [0-9]* pages from [0-9]* to \([0-9]*\) ns/\1/p' "$1"; }
a_pl=$(planted "$TMP/faults-isolate-a.out") b_pl=$(planted "$TMP/faults-isolate-b.out")
a_end=$(last_pass "$TMP/faults-isolate-a.out") b_end=$(last_pass "$TMP/faults-isolate-b.out")
if [ -n "$a_pl" ] && [ -n "$b_pl" ] && [ -n "$a_end" ] && [ -n "$b_end" ] &&
	[ "$a_end" -gt "$b_pl" ] && [ "$b_end" -gt "$a_pl" ]; then
	pass "faults-isolate-concurrent (each scanned for $(((a_end - b_pl) / 1000000)) / $(((b_end - a_pl) / 1000000)) ms after the other planted)"
else
	fail faults-isolate-concurrent "planted A '$a_pl' B '$b_pl', last pass A '$a_end' B '$b_end'"
fi
# Each image holds its own guest's marks and writes, nothing of the other's.
marked "$TMP/iso-a.want" 512 $sa written
marked "$TMP/iso-b.want" 768 $sb written
marked "$TMP/iso-at.want" 256 $sa
if cmp -s "$TMP/iso-a.img" "$TMP/iso-a.want" && cmp -s "$TMP/iso-at.img" "$TMP/iso-at.want" &&
	cmp -s "$TMP/iso-b.img" "$TMP/iso-b.want"; then
	pass faults-isolate-images
else
	fail faults-isolate-images "an image differs from its own guest's marks and writes"
fi
