# shellcheck shell=bash
# The sandbox.  It is on by default, so every guest of this suite runs under
# it; here: each of hv's threads really has its own filter, no capabilities
# and no_new_privs; a forbidden system call stops hv with a line naming the
# call and the thread (the HV_SANDBOX_PROBE test hook); --no-sandbox turns
# it all off; --chroot and --uid take effect and the guest's disk, opened
# before, still works.

# thread_status NAME HV-OPTIONS...: hv runs a spinning guest with a disk (so
# both threads exist); once its I/O thread is up, the status lines of its own
# threads (not io_uring's kernel workers) go to $TMP/NAME.status as
# "<comm> <field>:<value>" (with "policy", the scheduling policy: stat's
# 41st field), and its root directory to $TMP/NAME.root.
thread_status() {
	local name=$1 i t comm
	shift
	"$HV" run --timeout 60 --disk null:1M "$@" "$KERNEL" -- spin >"$TMP/$name.out" 2>"$TMP/$name.err" &
	local pid=$!
	: >"$TMP/$name.status"
	for i in $(seq 100); do
		grep -qx hv-io /proc/$pid/task/*/comm 2>/dev/null && break
		sleep 0.1
	done
	sleep 1 # the vCPU thread confines itself right after starting the I/O thread
	for t in /proc/$pid/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		case $comm in hv | hv-io) ;; *) continue ;; esac
		sed -n 's/^\(Seccomp\|Seccomp_filters\|NoNewPrivs\|CapEff\|CapPrm\|Uid\|Gid\|Groups\):[[:space:]]*/'"$comm"' \1:/p' \
			"$t/status" | tr -s '\t ' '  ' >>"$TMP/$name.status"
		echo "$comm policy:$(sed 's/.*) //' "$t/stat" | cut -d' ' -f39)" >>"$TMP/$name.status"
	done
	readlink "/proc/$pid/root" >"$TMP/$name.root" 2>/dev/null
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

thread_status sandbox-threads
check sandbox-threads-filtered "$TMP/sandbox-threads.status" "^hv Seccomp:2$" "^hv-io Seccomp:2$" \
	"^hv Seccomp_filters:1$" "^hv-io Seccomp_filters:1$" "^hv NoNewPrivs:1$" "^hv-io NoNewPrivs:1$" \
	"^hv CapEff:0+$" "^hv-io CapEff:0+$" "^hv CapPrm:0+$" "^hv policy:0$" "^hv-io policy:0$"

# --io-batch: the I/O thread alone is SCHED_BATCH (3), set before its filter.
thread_status sandbox-io-batch --io-batch
check sandbox-io-batch-policy "$TMP/sandbox-io-batch.status" "^hv-io policy:3$" "^hv policy:0$" \
	"^hv-io Seccomp:2$"

thread_status sandbox-off --no-sandbox
check sandbox-off-unfiltered "$TMP/sandbox-off.status" "^hv Seccomp:0$" "^hv-io Seccomp:0$" \
	"^hv NoNewPrivs:0$"
if [ "$(id -u)" = 0 ]; then # root keeps its capabilities without the sandbox
	grep -q "^hv CapEff:0*$" "$TMP/sandbox-off.status" && fail sandbox-off-keeps-capabilities \
		"$(grep CapEff "$TMP/sandbox-off.status" | head -1)" || pass sandbox-off-keeps-capabilities
fi

# A forbidden call in either thread: status 159 and the line that says which.
HV_SANDBOX_PROBE=vcpu run sandbox-probe-vcpu 30 "$HV" run --timeout 20 "$KERNEL" -- hello
expect sandbox-probe-vcpu 159 "^hv: sandbox: forbidden system call 257 \(openat\) in the vCPU thread; hv stops$" err
HV_SANDBOX_PROBE=io run sandbox-probe-io 30 "$HV" run --timeout 20 --disk null:1M "$KERNEL" -- hello
expect sandbox-probe-io 159 "^hv: sandbox: forbidden system call 257 \(openat\) in the I/O thread; hv stops$" err
# abort() in either thread is an abort (134: SIGABRT), not a sandbox stop (159): musl's
# abort blocks signals and tkills itself, both on every thread's list.
HV_SANDBOX_PROBE=vcpu-abort run sandbox-abort-vcpu 30 "$HV" run --timeout 20 "$KERNEL" -- hello
expect sandbox-abort-vcpu 134
grep -q "forbidden system call" "$TMP/sandbox-abort-vcpu.err" && fail sandbox-abort-vcpu-silent \
	"$(head -1 "$TMP/sandbox-abort-vcpu.err")" || pass sandbox-abort-vcpu-silent
HV_SANDBOX_PROBE=io-abort run sandbox-abort-io 30 "$HV" run --timeout 20 --disk null:1M "$KERNEL" -- hello
expect sandbox-abort-io 134
# The same hook without the sandbox: the open works and the guest runs to its end.
HV_SANDBOX_PROBE=vcpu run sandbox-probe-off 30 "$HV" run --no-sandbox --timeout 20 "$KERNEL" -- hello
expect sandbox-probe-off 0 "probe: openat in the vCPU thread succeeded \(no sandbox\)" err \
	"^hello from the guest, through the console hypercall$" out
# --verbose says which.
run sandbox-verbose 30 "$HV" run --verbose --timeout 20 "$KERNEL" -- hello
expect sandbox-verbose 0 "^hv: sandbox: on: each thread under its own seccomp allowlist" err
run sandbox-verbose-off 30 "$HV" run --verbose --no-sandbox --timeout 20 "$KERNEL" -- hello
expect sandbox-verbose-off 0 "^hv: sandbox: off \(--no-sandbox\)$" err
# Without any capability (CAP_SYS_ADMIN would let seccomp do without no_new_privs) hv
# confines itself the same way.  As root with none: /dev/kvm here is root's, 0600.
if [ "$(id -u)" = 0 ]; then
	HV_SANDBOX_PROBE=vcpu run sandbox-no-capabilities 30 setpriv --bounding-set=-all --inh-caps=-all \
		"$HV" run --timeout 20 "$KERNEL" -- hello
	expect sandbox-no-capabilities 159 "forbidden system call 257 \(openat\) in the vCPU thread" err
else
	skip sandbox-no-capabilities "hv runs unprivileged already"
fi
# A guest exiting with hv's sandbox status is marked as the guest's.
run sandbox-guest-159 30 "$HV" run --timeout 20 "$KERNEL" -- exit 159
expect sandbox-guest-159 159 "^hv: guest exited with status 159$" err

# --chroot and --uid (root's to use): both take effect in both threads, and the
# guest's image, opened before either, stays usable.
run sandbox-chroot-missing 10 "$HV" run --chroot "$TMP/no-such-dir" "$KERNEL"
expect sandbox-chroot-missing 2 "^hv: --chroot $TMP/no-such-dir: not a directory$" err
run sandbox-uid-bad 10 "$HV" run --uid 65534:x "$KERNEL"
expect sandbox-uid-bad 2 "--uid: '65534:x' is not UID or UID:GID" err
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$TMP/jail"
	thread_status sandbox-jail --uid 65534 --chroot "$TMP/jail"
	check sandbox-jail-ids "$TMP/sandbox-jail.status" "^hv Uid:65534 65534 65534 65534$" \
		"^hv-io Uid:65534 65534 65534 65534$" "^hv Gid:65534 65534 65534 65534$" "^hv Groups:$"
	[ "$(cat "$TMP/sandbox-jail.root")" = "$TMP/jail" ] && pass sandbox-jail-root ||
		fail sandbox-jail-root "root is '$(cat "$TMP/sandbox-jail.root")', want $TMP/jail"
	# Root's 0600 image, opened before hv became nobody in an empty root, takes the guest's write.
	head -c 1048576 /dev/zero >"$TMP/jail-disk.img"
	chmod 600 "$TMP/jail-disk.img"
	run sandbox-jail-disk 60 "$HV" run --timeout 50 --chroot "$TMP/jail" --uid 65534:65534 \
		--disk "$TMP/jail-disk.img" "$KERNEL" -- blkwrite pvblk0 0 8 90
	expect sandbox-jail-disk 0
	[ "$(head -c 4096 "$TMP/jail-disk.img" | tr -d 'Z' | wc -c)" = 0 ] && pass sandbox-jail-disk-written ||
		fail sandbox-jail-disk-written "the first 4 KiB are not all 0x5a"
	# Without the capabilities these need, each step fails with a reason and status 1.
	run sandbox-chroot-not-permitted 30 setpriv --bounding-set=-sys_chroot "$HV" run --timeout 20 \
		--chroot "$TMP/jail" "$KERNEL" -- hello
	expect sandbox-chroot-not-permitted 1 "^hv: --chroot: not permitted \(needs root or CAP_SYS_CHROOT\)$" err
	run sandbox-uid-not-permitted 30 setpriv --bounding-set=-setuid,-setgid "$HV" run --timeout 20 \
		--uid 65534 "$KERNEL" -- hello
	expect sandbox-uid-not-permitted 1 "^hv: --uid: .*not permitted" err
else
	skip sandbox-jail "--chroot and --uid need root"
fi
