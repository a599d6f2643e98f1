# shellcheck shell=bash
# The PV block device: data through the rings both ways, interrupts and
# polling, read-only images, hostile requests and rings, detach/attach.
head -c $((8 << 20)) /dev/urandom >"$TMP/a.img"
head -c $((8 << 20)) /dev/urandom >"$TMP/b.img"
head -c $((4 << 20)) /dev/urandom >"$TMP/c.img"

run blkinfo 30 "$HV" run --verbose --timeout 20 --disk "$TMP/a.img" --disk "$TMP/c.img,ro" "$KERNEL" -- blkinfo
expect blkinfo 0 "^pvblk0 +16384 sectors +8 MiB .* rw +path pv " out "^pvblk1 +8192 sectors .* ro " out \
	"pvblk0: .*(O_DIRECT|buffered)" err

for mode in irq poll; do
	name=blk-sha256; params=""
	[ $mode = poll ] && name=blk-sha256-poll params="poll=all"
	run $name 60 "$HV" run --stats --timeout 50 --disk "$TMP/a.img" "$KERNEL" -- $params sha256 pvblk0
	expect $name 0 "^$(sha "$TMP/a.img")\$" out
done
# The doorbell `out` reaches the ioeventfd inside KVM (served by the I/O thread,
# never an exit to hv: no unclaimed port access), and completions arrive as
# MSIs through the irqfd (the guest waits for them with interrupts, so none
# lost means the run ended); in polling mode no interrupt is raised.
check blk-doorbell-ioeventfd-msi-irqfd "$TMP/blk-sha256.err" "pvblk0 .* [1-9][0-9]* doorbells, [1-9][0-9]* interrupts"
grep -q "unclaimed" "$TMP/blk-sha256.err" && fail blk-doorbell-not-to-hv "$(grep unclaimed "$TMP/blk-sha256.err")"
check blk-poll-no-interrupts "$TMP/blk-sha256-poll.err" "pvblk0 .* 0 interrupts"

# The I/O thread's io_uring failing for good (the HV_IO_FAIL_PROBE hook: after the first
# doorbell) stops the VM with 125 and one line, though the guest waits halted for its I/O
# (not 124: it would have hung to --timeout).
HV_IO_FAIL_PROBE=1 run blk-io-thread-fails 60 "$HV" run --timeout 40 --disk "$TMP/a.img" "$KERNEL" -- sha256 pvblk0
expect blk-io-thread-fails 125 \
	"^hv: I/O thread failed \(io_uring: Bad file descriptor\): the VM is stopped$" err

cp "$TMP/b.img" "$TMP/b.orig"
run blk-copy 60 "$HV" run --timeout 50 --disk "$TMP/a.img" --disk "$TMP/b.img" "$KERNEL" -- copy pvblk0 pvblk1
expect blk-copy 0 "copy: 8388608 bytes pvblk0 -> pvblk1, flushed" out
cmp -s "$TMP/a.img" "$TMP/b.img" || fail blk-copy-cmp "cmp: the images differ after copy"

before=$(sha "$TMP/c.img")
run blk-ro-write 30 "$HV" run --timeout 20 --disk "$TMP/c.img,ro" "$KERNEL" -- blkwrite pvblk0 0 8 90
expect blk-ro-write 1 "blkwrite: pvblk0 sectors 0..7: read-only" out
[ "$(sha "$TMP/c.img")" = "$before" ] || fail blk-ro-write-unchanged "the read-only image changed"

# blkverify writes: on a copy, so c.img stays the read-only tests' reference.
cp "$TMP/c.img" "$TMP/vq.img"
run blk-verify-qd32 120 "$HV" run --timeout 100 --mem 128M --disk "$TMP/vq.img" "$KERNEL" -- blkverify pvblk0 100
expect blk-verify-qd32 0 "blkverify: pvblk0: 3200 requests at depth 32, 0 mismatches" out \
	"blkverify-sha256: $(sha "$TMP/vq.img")" out

# Hostile: the image must equal the original but for the one valid write.
cp "$TMP/b.orig" "$TMP/h.img"
cp "$TMP/b.orig" "$TMP/h.want"
printf '\x5a%.0s' $(seq 4096) | dd of="$TMP/h.want" bs=512 seek=16 conv=notrunc status=none
cp "$TMP/c.img" "$TMP/v.img"
run blk-hostile 60 "$HV" run --timeout 50 --disk "$TMP/h.img" --disk "$TMP/v.img" "$KERNEL" -- blkhostile pvblk0 pvblk1
expect blk-hostile 0 "blkhostile: 0 failures" out "pvblk1: queue broken by the guest" err
grep -q FAIL "$TMP/blk-hostile.out" && fail blk-hostile-lines "$(grep FAIL "$TMP/blk-hostile.out" | head -3)"
cmp -s "$TMP/h.img" "$TMP/h.want" || fail blk-hostile-image "pvblk0 differs outside the valid write"
cmp -s "$TMP/v.img" "$TMP/c.img" || fail blk-hostile-victim "pvblk1 changed"

run blk-hostile-ro 60 "$HV" run --timeout 50 --disk "$TMP/c.img,ro" "$KERNEL" -- blkhostile pvblk0
expect blk-hostile-ro 0 "write to a read-only disk +ok" out
[ "$(sha "$TMP/c.img")" = "$before" ] || fail blk-hostile-ro-unchanged "the read-only image changed"

# Detach and attach 100 times: nothing leaks (a leaked ioeventfd would make
# the next attach fail with EEXIST; the MSI-X entry's route is the device's).
run blk-reattach-100 120 "$HV" run --timeout 100 --disk "$TMP/a.img" "$KERNEL" -- blkreattach pvblk0 100
expect blk-reattach-100 0 "pvblk0: 0 of 100 attaches failed; then a 4 KiB read: ok" out

# A KVM wiring failure during attach, made real: gdb points the third
# KVM_IOEVENTFD (the boot's attach, blkreattach's detach, then its first
# attach) at fd -1 (struct kvm_ioeventfd's fd is at offset 20), so the ioctl
# fails with EBADF.  hv must report it, refuse that attach, and take the next.
run blk-attach-rollback 180 gdb -q -batch -nx -ex "set confirm off" \
	-ex 'break ioctl if $rsi == 0x4040ae79' -ex run -ex continue -ex continue \
	-ex 'set var *(int *)($rdx + 20) = -1' -ex delete -ex continue \
	--args "$HV" run --timeout 150 --disk "$TMP/a.img" "$KERNEL" -- blkreattach pvblk0 3
expect blk-attach-rollback 0 "pvblk0: cannot wire the queue into KVM: Bad file descriptor" err \
	"pvblk0 attach 1: failed \(-5\)" out "pvblk0 attach 2: ok" out \
	"pvblk0: 1 of 3 attaches failed; then a 4 KiB read: ok" out "exited normally" out

run blk-null 30 "$HV" run --timeout 20 --disk null:64M "$KERNEL" -- sha256 pvblk0
expect blk-null 0 "^$(head -c $((64 << 20)) /dev/zero | sha256sum | cut -d' ' -f1)\$" out

run blkbench-smoke 60 "$HV" run --timeout 50 --disk "$TMP/a.img" "$KERNEL" -- blkbench pvblk0 --time 0.2 --json
expect blkbench-smoke 0 'blkbench-json: \{"path":"pv","workload":"randread-4k-qd1"' out \
	'"workload":"randread-4k-qd32".*"ios":[1-9]' out '"workload":"seqread-128k-qd8"' out \
	'"workload":"randwrite-4k-qd1"' out \
	'"workload":"randread-4k-qd1".*"kvm_exits":[1-9][0-9]*,"kvm_irqs":[1-9][0-9]*,"kinds":\{"io":[1-9][0-9]*,"mmio":0,"halt":[0-9]+,' out

# Fewer exits per I/O, the guest's side.  PV EOI: the completions are
# acknowledged by a memory write; at most 1 in 20 by the x2APIC EOI write
# (KVM falls back to it when another interrupt is pending; without PV EOI
# every one is).  The
# poll window: on one CPU (the test host VM) a completion comes only when
# the host takes the poller's CPU, so polling never pays and the window
# must close by itself.
json_num() { grep -o "\"$1\":[0-9]*" "$2" | head -1 | cut -d: -f2; }
run blk-pv-eoi 60 "$HV" run --timeout 50 --disk "$TMP/a.img" "$KERNEL" -- \
	blkbench pvblk0 --time 0.5 --json randread-4k-qd1
expect blk-pv-eoi 0 '"workload":"randread-4k-qd1".*"eoi_msr":[0-9]+' out
ios=$(json_num ios "$TMP/blk-pv-eoi.out") eoi_msr=$(json_num eoi_msr "$TMP/blk-pv-eoi.out")
eoi_pv=$(json_num eoi_pv "$TMP/blk-pv-eoi.out")
if [ -n "$ios" ] && [ "${ios:-0}" -ge 100 ] && [ $((eoi_msr * 20)) -le "$ios" ] &&
	[ $((eoi_pv * 10)) -ge $((ios * 9)) ]; then
	pass blk-pv-eoi-used
else
	fail blk-pv-eoi-used "ios ${ios:-?}, EOIs by memory ${eoi_pv:-?}, by the x2APIC write ${eoi_msr:-?}"
fi
if [ "$(nproc)" = 1 ]; then
	check blk-poll-window-closes-on-one-cpu "$TMP/blk-pv-eoi.out" '"poll":\{"cap_ns":200000,"window_ns":0,'
else
	skip blk-poll-window-closes-on-one-cpu
fi
# No interrupt lost: every wait polls (a window pinned at 100 us, its
# interrupt muted) and re-arms with the final re-check before it halts;
# a completion slipped in between would leave the guest halted for ever.
run blk-poll-rearm 120 "$HV" run --timeout 100 --mem 128M --disk "$TMP/vq.img" "$KERNEL" -- \
	haltpoll=100000,fixed blkverify pvblk0 50
expect blk-poll-rearm 0 "blkverify: pvblk0: 1600 requests at depth 32, 0 mismatches" out
run blk-poll-rearm-qd1 60 "$HV" run --timeout 50 --disk "$TMP/a.img" "$KERNEL" -- \
	haltpoll=100000,fixed sha256 pvblk0
expect blk-poll-rearm-qd1 0 "^$(sha "$TMP/a.img")\$" out
