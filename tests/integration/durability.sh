# shellcheck shell=bash
# Durability: power cuts.  An ext4 file system on device-mapper's log-writes
# target (over loop devices on files) holds the guests' raw images, which hv
# opens with O_DIRECT; the target logs every write once a FLUSH has covered it.
# Each round boots a guest running durwrite (batches of 1..16 sectors, each
# write flushed before "durwrite: acked N") and, while it writes, sets log
# mark "ROUND:N" just after reading its last acknowledgement N.  Afterwards
# durability-check.py replays the log to each mark (a power cut there: what
# was never flushed is lost), recovers the ext4 journal and checks that
# records 0..N are on the image.  Rounds: PV with interrupts on a written
# image, PV polled on a sparse one (each flush commits block allocations),
# the trap controller on a preallocated one; a round without an
# acknowledgement fails.  A round runs build/tests/hv-noflush (hv with
# FLUSH a no-op, built by make from a sed of disk_file.c) and must lose
# acknowledged records: the test shows it can fail.  Two more rounds write
# the same records with HV_BLK_OP_WRITE_FUA and no flush at all, through
# hv's real PV backend driven by the guest's front end on a host thread
# (build/tests/host-durwrite: hv's kernel sends no FUA): each FUA write
# acknowledged must survive; the same program sending plain writes
# (--no-fua) must lose some, so the FUA round can fail too.
#
# ext4 commits its journal every 300 s here instead of 5 s: a periodic commit
# flushes the disk's cache too, and would make a missing FLUSH durable by
# luck.  Needs root, loop devices, dm-log-writes, dmsetup, mkfs.ext4 and
# debugfs (the test host VM has them all); elsewhere the feature is skipped.
DCHECK="python3 tests/integration/durability-check.py"
NOFLUSH=build/tests/hv-noflush
HOSTDUR=build/tests/host-durwrite
D=$TMP/durability
mkdir -p "$D/fs"
mkfifo "$D/fifo"

# nap_ms MS: a pause without starting a process (they are slow in the test host VM).
nap_ms() {
	local t
	printf -v t '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	read -r -t "$t" _ <>"$D/fifo"
}

# acked FILE: sets ACK to N of FILE's last "durwrite: acked N" line (-1: none
# yet).  A line being written may be cut short, so the larger of the last two.
acked() {
	local lines=() i n
	ACK=-1
	[ -f "$1" ] && mapfile -t lines <"$1"
	for ((i = ${#lines[@]} - 1; i >= 0 && i >= ${#lines[@]} - 2; i--)); do
		[[ ${lines[i]} =~ ^durwrite:\ acked\ ([0-9]+)$ ]] || continue
		n=${BASH_REMATCH[1]}
		((n > ACK)) && ACK=$n
	done
}

# dur_round NAME EXPECT HV DEV IMAGE PARAMS...: one guest writing IMAGE (in
# the file system) through DEV, two marks while it runs, then SIGKILL (the
# checker also finds every acknowledged record on the unmounted image).  Adds the round to $D/rounds for the checker (EXPECT:
# durable or lost) and "MARKS MODE" to $D/NAME.info: the marks set while
# the guest wrote, and how hv opened the image (it must say O_DIRECT).
dur_round() {
	local name=$1 expect=$2 hv=$3 dev=$4 img=$5 seed=$((RANDOM << 15 | RANDOM)) pid i marks=0
	local opt=--disk mode l
	shift 5
	[ "$dev" = trapblk0 ] && opt=--trap-disk
	local cmd=("$hv" run --verbose --timeout 60 $opt "$D/fs/$img" "$KERNEL" -- "$@" durwrite "$dev" "$seed")
	# host-durwrite takes PARAMS (--no-fua) itself, and ends once the image is full.
	[ "$hv" = "$HOSTDUR" ] && cmd=("$hv" "$D/fs/$img" "$seed" "$@")
	"${cmd[@]}" >"$D/$name.out" 2>"$D/$name.err" & # pid: the program itself, for the kill
	pid=$!
	for ((i = 0; i < 300; i++)); do # the first acknowledgement, within 30 s
		acked "$D/$name.out"
		[ "$ACK" -ge 0 ] || ! kill -0 "$pid" 2>/dev/null && break
		nap_ms 100
	done
	for ((i = 0; i < 4 && marks < 2 && ACK >= 0; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		nap_ms $((RANDOM % 300))
		acked "$D/$name.out"
		dmsetup message "$DM" 0 mark "$name:$ACK" && marks=$((marks + 1))
	done
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null # SIGKILL is the plan: no "Killed" line
	echo "$name /$img $seed $D/$name.out $expect" >>"$D/rounds"
	mode=unknown
	while read -r l; do
		[[ $l =~ ^hv:\ $dev:\ $img,\ [0-9]+\ sectors,\ ([A-Za-z_]+) ]] && mode=${BASH_REMATCH[1]}
	done <"$D/$name.err"
	echo "$marks $mode" >"$D/$name.info"
}

why=""
[ "$EUID" = 0 ] || why="not root"
for t in losetup dmsetup mkfs.ext4 debugfs; do
	command -v "$t" >/dev/null || why="${why:+$why, }no $t (scripts/install-deps.sh)"
done
[ -z "$why" ] && [ ! -d /sys/module/dm_log_writes ] && ! modprobe dm-log-writes 2>/dev/null &&
	why="no dm-log-writes module (CONFIG_DM_LOG_WRITES)"
if [ -n "$why" ]; then
	skip "durability-power-cut ($why)"
elif [ ! -x "$NOFLUSH" ] || [ ! -x "$HOSTDUR" ]; then
	fail durability-power-cut "$NOFLUSH or $HOSTDUR missing: run make $NOFLUSH $HOSTDUR (make test and make integration build them)"
else
	# A 96 MiB data device; the log holds every write and must not fill up.
	# The images are small (each cut's copy holds what was written); the
	# no-op FLUSH runs fastest and gets twice the room, to be caught writing.
	truncate -s 96M "$D/data"
	truncate -s 512M "$D/log"
	DM=hv-durability-$$ status=""
	data_dev=$(losetup -f --show "$D/data") log_dev=$(losetup -f --show "$D/log")
	if ! {
		dmsetup create "$DM" --table "0 $((96 << 11)) log-writes $data_dev $log_dev" &&
			dmsetup mknodes "$DM" &&
			mkfs.ext4 -q -b 4096 -N 64 -E nodiscard,lazy_itable_init=0 "/dev/mapper/$DM" &&
			mount -t ext4 -o commit=300 "/dev/mapper/$DM" "$D/fs" &&
			head -c 8M /dev/zero >"$D/fs/pv.img" &&
			head -c 16M /dev/zero >"$D/fs/noflush.img" &&
			head -c 16M /dev/zero >"$D/fs/fua.img" &&
			head -c 16M /dev/zero >"$D/fs/nofua.img" &&
			truncate -s 8M "$D/fs/sparse.img" &&
			fallocate -l 8M "$D/fs/trap.img" &&
			sync -f "$D/fs/pv.img"
	} >"$D/setup.err" 2>&1; then
		fail durability-setup "$(tr '\n' '|' <"$D/setup.err")"
	else
		dur_round pv durable "$HV" pvblk0 pv.img
		dur_round pv-poll durable "$HV" pvblk0 sparse.img poll=all
		dur_round trap durable "$HV" trapblk0 trap.img
		dur_round noflush lost "$NOFLUSH" pvblk0 noflush.img
		dur_round fua durable "$HOSTDUR" pvblk0 fua.img
		dur_round nofua lost "$HOSTDUR" pvblk0 nofua.img --no-fua
		status=$(dmsetup status "$DM")
	fi
	umount "$D/fs" 2>/dev/null
	dmsetup remove "$DM" 2>/dev/null
	for dev in $data_dev $log_dev; do losetup -d "$dev"; done
	if [ -s "$D/rounds" ]; then
		case "$status" in
		*logging_disabled*) fail durability-log "the log stopped: $status" ;;
		esac
		$DCHECK "$D/log" "$D/data" "$D/rounds" "$D" >"$D/check.out" 2>&1
		RC=$?
		for r in pv pv-poll trap noflush fua nofua; do
			line=$(grep "^durability: $r: " "$D/check.out")
			read -r marks mode <"$D/$r.info"
			if [ "$mode" != O_DIRECT ]; then
				fail "durability-$r" "hv opened the image ${mode:-how?}, not O_DIRECT" \
					"$(head -c 300 "$D/$r.err" | tr '\n' '|')"
			elif [[ $line == *": ok: "* || $line == *": caught: "* ]]; then
				pass "durability-$r (${line#"durability: $r: "}; $marks marks while it wrote)"
			else
				fail "durability-$r" "${line:-no verdict}" "$marks marks while it wrote" \
					"$(grep "^cut $r:" "$D/check.out" | head -5 | tr '\n' '|')" \
					"stdout: $(tail -c 200 "$D/$r.out" | tr '\n' '|')" \
					"stderr: $(tail -c 300 "$D/$r.err" | tr '\n' '|')"
			fi
		done
		# The replay itself: it must end where the data device did.
		if grep -q '^durability: [0-9]* rounds, ' "$D/check.out" &&
			! grep -q '^durability: the replayed log' "$D/check.out"; then
			pass "durability-replay (to its end, the log gives the data device's bytes; $(grep -o '[0-9]* cuts' "$D/check.out" | tail -1) replayed)"
		else
			fail durability-replay "exit $RC: $(grep -v '^cut ' "$D/check.out" | tail -5 | tr '\n' '|')"
		fi
	fi
fi
