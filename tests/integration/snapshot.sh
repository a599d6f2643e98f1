# shellcheck shell=bash
# Snapshot and restore (docs/SNAPSHOT.md): a guest program cut by a snapshot
# and finished by two restores prints what an uninterrupted run prints; bad
# state files and other devices are refused with one line and status 2; a
# snapshot in the middle of blkverify (32 requests in flight per round)
# finishes with every byte right.  Snapshots are taken through the control
# API: PUT /actions pause, then PUT /snapshot/create (curl on its socket).
S=$TMP/snap
mkdir -p "$S"

. tests/integration/snap-lib.sh # api_up, api_act, api_snap

# snap_at NAME WHEN PATH THEN HV-RUN-ARGS...: runs hv run with a control
# socket; when the socket is up and then WHEN has passed (MS milliseconds;
# +N: the guest has printed N lines; /TEXT/MS: MS milliseconds after the
# guest printed a line with TEXT, which a loaded machine may take long to
# reach), pauses the VM, snapshots it to PATH (the VM stays paused), runs
# $SNAP_PAUSED (if set) and then THEN: resume (the VM goes on in the same hv)
# or shutdown.  With $SNAP_KEEP set (a command run while the VM is paused:
# status 0 keeps the snapshot), a snapshot it refuses is taken again, up to
# 5 times, 100 ms of running apart; SNAP_TRIES says how many it took.  Sets
# RC, and SNAP_BYTES to the guest's output in bytes while it was paused; the
# API's replies are in $TMP/NAME.api.
snap_at() {
	local name=$1 when=$2 path=$3 then=$4 sock=$TMP/$1.sock pid i
	shift 4
	timeout -k 5 200 "$HV" run --api-sock "$sock" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	api_up "$sock"
	case $when in
	+*) for i in $(seq 1000); do
		[ "$(wc -l <"$TMP/$name.out")" -ge "${when#+}" ] && break
		sleep 0.02
	    done
	    when=0 ;;
	/*) when=${when#/}
	    for i in $(seq 3000); do
		grep -qF "${when%/*}" "$TMP/$name.out" && break
		sleep 0.02
	    done
	    when=${when##*/} ;;
	esac
	sleep "$(printf '%d.%03d' $((when / 1000)) $((when % 1000)))"
	SNAP_TRIES=0
	{
		for i in 1 2 3 4 5; do
			SNAP_TRIES=$i
			api_act "$sock" pause
			api_snap "$sock" "$path"
			[ -z "${SNAP_KEEP:-}" ] || [ $i -eq 5 ] || eval "$SNAP_KEEP" && break
			api_act "$sock" resume
			sleep 0.1
		done
		SNAP_BYTES=$(stat -c %s "$TMP/$name.out")
		[ -z "${SNAP_PAUSED:-}" ] || eval "$SNAP_PAUSED"
		api_act "$sock" "$then"
	} >"$TMP/$name.api" 2>&1
	wait "$pid"
	RC=$?
}

# one_line NAME: passes if NAME's stderr is exactly one line.
one_line() {
	local n
	n=$(wc -l <"$TMP/$1.err")
	[ "$n" -eq 1 ] && pass "$1-one-line" || fail "$1-one-line" "$n lines on stderr"
}

# same NAME A B: passes if files A and B are byte for byte the same, and not empty.
same() {
	[ -s "$2" ] && cmp -s "$2" "$3" && pass "$1" ||
		fail "$1" "$2: $(stat -c %s "$2") bytes" "$(diff "$2" "$3" | head -4 | tr '\n' '|')"
}

# ---- a guest program: snapshot mid-run, restore twice ----------------------------
steps=200
run snap-whole 200 "$HV" run --timeout 180 "$KERNEL" -- snapcount $steps 8
expect snap-whole 0 "^snapcount done$" out
snap_at snap-create +5 "$S/count" shutdown --timeout 180 "$KERNEL" -- snapcount $steps 8
expect snap-create 0 '^\{"path":"'"$S/count"'","mem_bytes":67108864,"create_ms":[0-9.]+,"state":"paused"\}$' api
# Mid-run: some lines before the snapshot, not all of them.
if grep -q "^snapcount 1/" "$TMP/snap-create.out" && ! grep -q "done" "$TMP/snap-create.out"; then
	pass snap-create-mid-run
else
	fail snap-create-mid-run "$(wc -l <"$TMP/snap-create.out") lines before the snapshot"
fi
python3 tests/integration/snap-read.py "$S/count" >"$TMP/snap-format.out" 2>&1 &&
	pass snap-format-as-documented || fail snap-format-as-documented "$(head -1 "$TMP/snap-format.out")"
[ "$(stat -c %s "$S/count.mem")" = $((64 << 20)) ] && pass snap-mem-file ||
	fail snap-mem-file "$(stat -c %s "$S/count.mem") bytes, want the 64 MiB of RAM"
cp "$S/count.mem" "$S/count.mem.orig"
for i in 1 2; do
	run snap-restore-$i 200 "$HV" run --timeout 180 --restore "$S/count"
	expect snap-restore-$i 0 "^snapcount done$" out
done
same snap-restores-agree "$TMP/snap-restore-1.out" "$TMP/snap-restore-2.out"
cat "$TMP/snap-create.out" "$TMP/snap-restore-1.out" >"$S/joined.out"
same snap-restore-equals-uninterrupted "$TMP/snap-whole.out" "$S/joined.out"
# Private mapping: the guest's writes after restore never reach the file.
same snap-mem-file-untouched "$S/count.mem.orig" "$S/count.mem"

# ---- a snapshot, then the VM resumed in the same hv --------------------------------
# The I/O thread quiesces and resumes (no thread recreated): the run finishes
# as an uninterrupted one, and its snapshot restored elsewhere finishes too.
snap_at snap-resume +5 "$S/res" resume --timeout 180 "$KERNEL" -- snapcount $steps 8
expect snap-resume 0 '"state":"paused"\}$' api '^\{"state":"running"\}$' api "^snapcount done$" out
same snap-resume-equals-uninterrupted "$TMP/snap-whole.out" "$TMP/snap-resume.out"
[ "$SNAP_BYTES" -gt 0 ] && [ "$SNAP_BYTES" -lt "$(stat -c %s "$TMP/snap-whole.out")" ] &&
	pass snap-resume-mid-run || fail snap-resume-mid-run "$SNAP_BYTES bytes printed at the snapshot"
run snap-resume-restore 200 "$HV" run --timeout 180 --restore "$S/res"
expect snap-resume-restore 0 "^snapcount done$" out
{ head -c "$SNAP_BYTES" "$TMP/snap-resume.out"; cat "$TMP/snap-resume-restore.out"; } >"$S/res-joined.out"
same snap-resume-restore-equals-uninterrupted "$TMP/snap-whole.out" "$S/res-joined.out"

# The API's own refusals: not paused, no path; the VM goes on (resume), then is shut down.
sock=$TMP/snap-api.sock
timeout -k 5 100 "$HV" run --api-sock "$sock" --timeout 90 "$KERNEL" -- snapcount 100000 8 \
	>"$TMP/snap-api.out" 2>"$TMP/snap-api.err" &
pid=$!
api_up "$sock"
{
	curl -sS -m 10 --unix-socket "$sock" -X PUT -d "{\"path\": \"$S/nope\"}" \
		-w ' %{http_code}\n' http://hv/snapshot/create
	api_act "$sock" pause
	curl -sS -m 10 --unix-socket "$sock" -X PUT -d '{"file": "x"}' \
		-w ' %{http_code}\n' http://hv/snapshot/create
	api_snap "$sock" "$S/long"
	api_act "$sock" resume
	api_act "$sock" shutdown
} >"$TMP/snap-api.replies" 2>&1
wait "$pid"
RC=$?
expect snap-api 0 '^\{"error":"The VM is not paused: PUT /actions pause first."\} 409$' replies \
	'^\{"error":"The body is not \{\\"path\\": \\"...\\"\} with a path."\} 400$' replies \
	'^\{"state":"running"\}$' replies "^snapcount 1/" out
[ -e "$S/nope" ] && fail snap-api-no-file "a refused create made $S/nope" || pass snap-api-no-file

# GET /vm on a restored VM: the kernel and cmdline the snapshot recorded, the RAM its own.
sock=$TMP/snap-vm.sock
timeout -k 5 100 "$HV" run --api-sock "$sock" --timeout 90 --mem 16M --restore "$S/long" \
	>"$TMP/snap-vm.out" 2>"$TMP/snap-vm.err" &
pid=$!
api_up "$sock"
{
	curl -sS -m 10 --unix-socket "$sock" http://hv/vm
	echo
	api_act "$sock" shutdown
} >"$TMP/snap-vm.replies" 2>&1
wait "$pid"
RC=$?
expect snap-vm 0 '"kernel":"'"$KERNEL"'","restore":"'"$S/long"'","initrd":null,"cmdline":"snapcount 100000 8"' replies \
	'"mem_bytes":67108864,' replies '^\{"state":"exiting"\}$' replies

# ---- refused: one line, status 2 --------------------------------------------------
sz=$(stat -c %s "$S/count")
head -c $((sz / 2)) "$S/count" >"$S/trunc"
cp "$S/count.mem" "$S/trunc.mem"
run snap-truncated 30 "$HV" run --timeout 20 --restore "$S/trunc"
expect snap-truncated 2 "^hv: --restore .*: truncated snapshot" err
one_line snap-truncated

cp "$S/count" "$S/bad"; cp "$S/count.mem" "$S/bad.mem"
# One byte in the middle of the state, flipped.
off=$((sz / 2))
b=$(od -An -tu1 -j $off -N1 "$S/bad" | tr -d ' ')
printf "$(printf '\\%03o' $(((b ^ 0x5a) & 255)))" | dd of="$S/bad" bs=1 seek=$off conv=notrunc status=none
run snap-corrupted 30 "$HV" run --timeout 20 --restore "$S/bad"
expect snap-corrupted 2 "^hv: --restore .*: corrupted snapshot \(checksum mismatch\)" err
one_line snap-corrupted

cp "$S/count" "$S/v2"; cp "$S/count.mem" "$S/v2.mem"
printf '\001' | dd of="$S/v2" bs=1 seek=8 conv=notrunc status=none # the format version
run snap-other-version 30 "$HV" run --timeout 20 --restore "$S/v2"
expect snap-other-version 2 "^hv: --restore .*: snapshot format version 1, this hv reads version 3" err
one_line snap-other-version

cp "$KERNEL" "$S/elf"; cp "$S/count.mem" "$S/elf.mem"
run snap-not-a-snapshot 30 "$HV" run --timeout 20 --restore "$S/elf"
expect snap-not-a-snapshot 2 "^hv: --restore .*: not an hv snapshot" err
one_line snap-not-a-snapshot

head -c $((1 << 20)) /dev/zero >"$S/extra.img"
run snap-device-mismatch 30 "$HV" run --timeout 20 --disk "$S/extra.img" --restore "$S/count"
expect snap-device-mismatch 2 "^hv: --restore .*: the snapshot has 1 devices, this command line makes 2" err
one_line snap-device-mismatch

# ---- blkverify: a snapshot with the disk's queue busy ---------------------------
# waiting [FILE]: from snap-read.py's report (the snapshot file as
# docs/SNAPSHOT.md describes it), how many requests the guest was waiting on
# on pvblk0; empty if it does not say.  in_flight SNAP: the same for SNAP.
waiting() { sed -n 's/^pvblk0 attached 1 waiting \([0-9]*\)$/\1/p' "$@"; }
in_flight() { python3 tests/integration/snap-read.py "$1" 2>/dev/null | waiting; }

# blk_snap NAME SNAP IMG OPTION DEV ROUNDS DEPTH: blkverify DEV (OPTION IMG)
# snapshotted to SNAP 300 ms into its rounds (not a time from the start: on a
# loaded machine the guest may still be booting then, nothing in flight); the
# VM resumes in the same hv and finishes with every byte right.  Copies of
# the image taken while it was paused, IMG.1 and IMG.2, are the disks
# blk_restores gives the restores.
blk_snap() {
	local name=$1 snap=$2 img=$3 opt=$4 dev=$5 rounds=$6 depth=$7
	SNAP_PAUSED="cp '$img' '$img.1'; cp '$img' '$img.2'"
	SNAP_KEEP="[ \"\$(in_flight '$snap')\" != 0 ]"
	snap_at "$name" "/blkverify: $dev: /300" "$snap" resume --timeout 180 --mem 128M \
		"$opt" "$img" "$KERNEL" -- blkverify "$dev" "$rounds"
	SNAP_PAUSED='' SNAP_KEEP=''
	expect "$name" 0 '"path":"'"$snap"'"' api '^\{"state":"running"\}$' api
	check "$name-resumed" "$TMP/$name.out" \
		"blkverify: $dev: $((rounds * depth)) requests at depth $depth, 0 mismatches" \
		"blkverify-sha256: $(sha "$img")"
	head -c "$SNAP_BYTES" "$TMP/$name.out" | grep -q "requests at depth" &&
		fail "$name-mid-run" "blkverify had finished before the snapshot" ||
		pass "$name-mid-run"
}

# blk_restores NAME SNAP IMG OPTION DEV ROUNDS DEPTH: SNAP restored twice, on
# IMG.1 and IMG.2: each run finishes right, and both alike.
blk_restores() {
	local name=$1 snap=$2 img=$3 opt=$4 dev=$5 rounds=$6 depth=$7 i
	for i in 1 2; do
		run "$name-$i" 200 "$HV" run --timeout 180 "$opt" "$img.$i" --restore "$snap"
		expect "$name-$i" 0 \
			"blkverify: $dev: $((rounds * depth)) requests at depth $depth, 0 mismatches" out \
			"blkverify-sha256: $(sha "$img.$i")" out
	done
	same "$name-agree" "$TMP/$name-1.out" "$TMP/$name-2.out"
	same "$name-images-agree" "$img.1" "$img.2"
}

head -c $((8 << 20)) /dev/urandom >"$S/v.img"
rounds=6000
blk_snap snap-blk-create "$S/blk" "$S/v.img" --disk pvblk0 $rounds 32
# The file as docs/SNAPSHOT.md describes it, read by another program; and the
# requests the guest was waiting on when the VM paused (blkverify keeps 32).
# The pause can land between two of blkverify's rounds (it compares its
# reads there): then blk_snap takes the snapshot again (SNAP_KEEP); should
# five in a row find nothing in flight, that case went untested this time,
# a skip, not a pass.
if python3 tests/integration/snap-read.py "$S/blk" >"$TMP/snap-blk-read.out" 2>&1 &&
	w=$(waiting "$TMP/snap-blk-read.out") &&
	[ -n "$w" ] && [ "$w" -ge 0 ] && [ "$w" -le 32 ]; then
	if [ "$w" -ge 1 ]; then
		pass snap-blk-requests-in-flight
		echo "     pvblk0: the guest was waiting on $w requests at the snapshot (pause $SNAP_TRIES)"
	else
		skip snap-blk-requests-in-flight
		echo "     $SNAP_TRIES pauses landed between blkverify's rounds: no request was in flight"
	fi
else
	fail snap-blk-requests-in-flight "$(tr '\n' '|' <"$TMP/snap-blk-read.out")"
fi
# Disk contents are not in a snapshot: each restore gets the image as it was then.
blk_restores snap-blk-restore "$S/blk" "$S/v.img" --disk pvblk0 $rounds 32
# A disk of another size is another device.
head -c $((4 << 20)) /dev/urandom >"$S/small.img"
run snap-blk-other-disk 30 "$HV" run --timeout 20 --disk "$S/small.img" --restore "$S/blk"
expect snap-blk-other-disk 2 "^hv: --restore .*: pvblk0 differs from the snapshot's" err
one_line snap-blk-other-disk

# ---- snapshots, again and again, of a VM under disk load ----------------------
# Pause, snapshot, resume, six times while blkverify runs: each create is
# answered (none waits on the I/O thread for ever), the VM goes on after
# each, and blkverify finishes with every byte right.  Should blkverify end
# first (a slow, loaded test host VM: each curl alone can take seconds), a
# new VM takes the remaining cycles; a cycle the guest's end cut is not one.
head -c $((8 << 20)) /dev/urandom >"$S/r.img"
cycles=0 vms=0 bad=0
: >"$TMP/snap-repeat.api"
while [ $cycles -lt 6 ] && [ $vms -lt 4 ]; do
	vms=$((vms + 1)) sock=$TMP/snap-repeat-$vms.sock name=snap-repeat-$vms
	timeout -k 5 250 "$HV" run --api-sock "$sock" --timeout 240 --mem 128M --disk "$S/r.img" \
		"$KERNEL" -- blkverify pvblk0 20000 >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	api_up "$sock"
	while [ $cycles -lt 6 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.2
		r=$({ api_act "$sock" pause
		      curl -sS -m 60 --unix-socket "$sock" -X PUT -d "{\"path\": \"$S/rep\"}" \
			-w ' %{http_code}\n' http://hv/snapshot/create
		      api_act "$sock" resume; } 2>&1)
		echo "$r" >>"$TMP/snap-repeat.api"
		if echo "$r" | grep -q '"state":"paused"} 200$' &&
			echo "$r" | grep -q '^{"state":"running"}$'; then
			cycles=$((cycles + 1))
		elif kill -0 $pid 2>/dev/null; then
			bad=$((bad + 1)) # the VM lives: this cycle failed
			break
		fi
	done
	wait "$pid"
	RC=$?
	expect $name 0 "blkverify: pvblk0: 640000 requests at depth 32, 0 mismatches" out \
		"blkverify-sha256: $(sha "$S/r.img")" out
	[ $bad = 0 ] || break
done
[ $cycles = 6 ] && [ $bad = 0 ] && pass snap-repeat-six || fail snap-repeat-six \
	"$cycles of 6 cycles answered, $bad failed, $vms VMs: $(tr '\n' '|' <"$TMP/snap-repeat.api" | head -c 600)"
echo "     $cycles pause/snapshot/resume cycles in $vms VM(s) under blkverify"

# ---- the trap disk: a snapshot in the middle of blkverify -------------------------
# One request at a time over MMIO registers: the snapshot lands with a
# command running (drained), latched and not yet taken (run again after the
# restore), or none; each way the restores finish with every byte right.
head -c $((8 << 20)) /dev/urandom >"$S/t.img"
blk_snap snap-trap-create "$S/trap" "$S/t.img" --trap-disk trapblk0 3000 1
blk_restores snap-trap-restore "$S/trap" "$S/t.img" --trap-disk trapblk0 3000 1
# A trap disk is not a PV disk of the same image.
run snap-trap-as-pv 30 "$HV" run --timeout 20 --disk "$S/t.img.1" --restore "$S/trap"
expect snap-trap-as-pv 2 "^hv: --restore .*: device 1 is trapblk0 in the snapshot, pvblk0 on this command line" err
one_line snap-trap-as-pv

# ---- a PV NIC: a snapshot in the middle of a 10 MB TCP transfer -----------------
# Inside a namespace made here (10.0.0.1 the host's tap, 10.0.0.2 the guest;
# nothing leaves it): curl fetches 10 MiB from the guest's httpd, slowed so
# the snapshot lands mid-transfer.  Once the VM resumes in the same hv, once
# the VM ends and its snapshot is restored on the same tap: either way curl's
# connection carries on and what the host received has the right SHA-256.
# The same restored from a snapshot of a VM with the trap NIC instead.
SNS=hvsnap$$
NET_BYTES=$((10 << 20))
net_want=$(python3 tests/integration/snap-bytes.py $NET_BYTES)
if ! ip netns add "$SNS" 2>"$TMP/snap-netns.err"; then
	fail snap-net-namespace "cannot create a network namespace: $(head -1 "$TMP/snap-netns.err")"
else
	ip netns exec "$SNS" ip link set lo up
	ip netns exec "$SNS" ip tuntap add tap0 mode tap
	ip netns exec "$SNS" ip addr add 10.0.0.1/24 dev tap0
	ip netns exec "$SNS" ip link set tap0 up
	# The trap NIC (one frame each way at a time, over MMIO) too: 3 MiB of it.
	for case in resume restore trap-restore; do
		then=${case#trap-} nic=--net bytes=$NET_BYTES want=$net_want
		[ "$case" = "$then" ] || nic=--trap-net bytes=$((3 << 20)) want=$(python3 \
			tests/integration/snap-bytes.py $((3 << 20)))
		name=snap-net-$case sock=$TMP/snap-net-$case.sock
		ip netns exec "$SNS" timeout -k 5 250 "$HV" run --api-sock "$sock" --timeout 240 \
			$nic tap:tap0 "$KERNEL" -- ip=10.0.0.2/24 gw=10.0.0.1 httpd 80 --count 1 \
			>"$TMP/$name.out" 2>"$TMP/$name.err" &
		pid=$!
		for i in $(seq 600); do
			grep -q "listening on" "$TMP/$name.out" && break
			sleep 0.1
		done
		rm -f "$S/net-$case.body"
		ip netns exec "$SNS" curl -sS -m 230 --limit-rate 1M -o "$S/net-$case.body" \
			http://10.0.0.2/bytes/$bytes 2>"$TMP/$name.curl" &
		cpid=$!
		for i in $(seq 600); do
			[ "$(stat -c %s "$S/net-$case.body" 2>/dev/null || echo 0)" -ge $((1 << 20)) ] && break
			sleep 0.1
		done
		act=shutdown
		[ $then = resume ] && act=resume
		{
			api_act "$sock" pause
			echo "host had $(stat -c %s "$S/net-$case.body") bytes"
			api_snap "$sock" "$S/net"
			api_act "$sock" "$act"
		} >"$TMP/$name.api" 2>&1
		wait "$pid"
		RC=$?
		expect $name 0 '"state":"paused"\}$' api
		[ $then = restore ] ||
			check $name-served "$TMP/$name.out" "GET /bytes/$bytes HTTP/1.1\" 200 $bytes bytes"
		if [ $then = restore ]; then
			# The same tap, a new hv: the guest's TCP state comes back with it.
			ip netns exec "$SNS" timeout -k 5 250 "$HV" run --timeout 240 $nic tap:tap0 \
				--restore "$S/net" >"$TMP/$name-2.out" 2>"$TMP/$name-2.err"
			RC=$?
			expect $name-2 0 "GET /bytes/$bytes HTTP/1.1\" 200 $bytes bytes" out
		fi
		wait "$cpid"
		got=$(sha256sum "$S/net-$case.body" | cut -d' ' -f1)
		[ "$got" = "$want" ] && pass $name-sha256 ||
			fail $name-sha256 "$(stat -c %s "$S/net-$case.body") bytes, sha256 $got" \
				"$(head -c 300 "$TMP/$name.curl" | tr '\n' '|')" "$(tr '\n' '|' <"$TMP/$name.api")"
		grep "host had" "$TMP/$name.api" | sed 's/^/     /'
	done
	ip netns del "$SNS"
fi
