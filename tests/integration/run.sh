#!/usr/bin/env bash
# Integration tests: the real hv binary on real kernels under real KVM.
# Needs a /dev/kvm that runs guests (VMX or SVM): scripts/run-tests.sh runs
# this inside the test host VM when the machine has none.
# Ends with "integration: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

HV=build/hv
KERNEL=build/guest-kernel.elf
for f in "$HV" "$KERNEL" build/tests/host-cpuloop build/bench/native-blkbench build/bench/native-cpubench; do
	[ -e "$f" ] || { echo "integration: $f missing: run make first"; exit 1; }
done

# ---- bad input: one precise line on stderr, status 2, no KVM needed -----------
le64() { # le64 VALUE: 8 little-endian bytes as printf escapes
	local v=$1 i out=""
	for i in 0 1 2 3 4 5 6 7; do out="$out$(printf '\\x%02x' $(((v >> (8 * i)) & 255)))"; done
	printf '%s' "$out"
}
patch() { # patch FILE OFFSET ESCAPED-BYTES
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
phoff=$(od -An -t u8 -j 32 -N 8 "$KERNEL" | tr -d ' ')

: >"$TMP/empty.elf"
echo "just text" >"$TMP/text.elf"
cp "$KERNEL" "$TMP/elf32.elf" && patch "$TMP/elf32.elf" 4 '\x01'
cp "$KERNEL" "$TMP/arm.elf" && patch "$TMP/arm.elf" 18 '\xb7\x00'
head -c 200 "$KERNEL" >"$TMP/trunc.elf"
cp "$KERNEL" "$TMP/high.elf"
patch "$TMP/high.elf" $((phoff + 16)) "$(le64 0x7ff00000)"
patch "$TMP/high.elf" $((phoff + 24)) "$(le64 0x7ff00000)"
cp "$KERNEL" "$TMP/low.elf"
patch "$TMP/low.elf" $((phoff + 16)) "$(le64 0x1000)"
patch "$TMP/low.elf" $((phoff + 24)) "$(le64 0x1000)"
PIE=$(readlink -f "$(type -P true)")

bad_kernel() { # NAME FILE PATTERN [HV OPTIONS...]
	local name=$1 file=$2 pat=$3
	shift 3
	run "$name" 10 "$HV" run "$@" "$file"
	expect "$name" 2 "$pat" err
	[ "$(wc -l <"$TMP/$name.err")" -eq 1 ] || fail "$name-one-line" "stderr has $(wc -l <"$TMP/$name.err") lines"
}
bad_kernel reject-missing "$TMP/nonexistent.elf" "cannot open: No such file"
bad_kernel reject-directory "$TMP" "not a regular file"
bad_kernel reject-empty "$TMP/empty.elf" "empty file"
bad_kernel reject-text "$TMP/text.elf" "not an ELF file"
bad_kernel reject-elf32 "$TMP/elf32.elf" "not a 64-bit ELF"
bad_kernel reject-aarch64 "$TMP/arm.elf" "not an x86-64 ELF"
bad_kernel reject-pie "$PIE" "not an ELF executable"
bad_kernel reject-truncated "$TMP/trunc.elf" "past the end of the file"
bad_kernel reject-beyond-ram "$TMP/high.elf" "does not fit in 64 MiB"
bad_kernel reject-boot-area "$TMP/low.elf" "overlaps hv's boot area"
bad_kernel reject-beyond-small-ram "$TMP/high.elf" "does not fit in 4 MiB" --mem 4M

bad_cli() { # NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	run "$name" 10 "$HV" "$@"
	expect "$name" 2 "$pat" err
}
bad_cli cli-no-command "no command given"
bad_cli cli-unknown-option "unknown option '--frobnicate'" run --frobnicate "$KERNEL"
bad_cli cli-bad-mem "--mem: 'lots' is not a size" run --mem lots "$KERNEL"
bad_cli cli-mem-range "out of range" run --mem 128G "$KERNEL"
bad_cli cli-bad-timeout "--timeout: 'soon'" run --timeout soon "$KERNEL"
bad_cli cli-stray-arg "unexpected argument 'selftest'" run "$KERNEL" selftest
# ---- disk images: refused before KVM is touched, one line, status 2 ------------
head -c 1048576 /dev/urandom >"$TMP/ok.img"
head -c 1000 /dev/urandom >"$TMP/odd.img"
: >"$TMP/zero.img"
cp "$TMP/ok.img" "$TMP/ro.img" && chmod 0444 "$TMP/ro.img"
(cd "$TMP" && sha256sum ok.img odd.img ro.img) | sed "s|  |  $TMP/|" >"$TMP/images.sha"
bad_disk() { # NAME PATTERN DISK-ARGS...
	local name=$1 pat=$2
	shift 2
	run "$name" 10 "$HV" run "$@" "$KERNEL"
	expect "$name" 2 "$pat" err
	[ "$(wc -l <"$TMP/$name.err")" -eq 1 ] || fail "$name-one-line" "stderr has $(wc -l <"$TMP/$name.err") lines"
}
bad_disk disk-missing "nonexistent.img: cannot open: No such file" --disk "$TMP/nonexistent.img"
bad_disk disk-not-512 "size 1000 is not a multiple of 512" --disk "$TMP/odd.img"
bad_disk disk-empty "empty image" --disk "$TMP/zero.img"
bad_disk disk-directory "$TMP: a directory, not a regular file or block device" --disk "$TMP"
bad_disk disk-twice "in use by another process" --disk "$TMP/ok.img" --disk "$TMP/ok.img"
bad_disk disk-no-path "--disk: no image path given" --disk ,ro
bad_disk disk-null-size "--disk: 'big' is not a size" --disk null:big
bad_disk disk-null-odd "not a multiple of 512" --disk null:1000
bad_disk trap-disk-missing "nonexistent.img: cannot open" --trap-disk "$TMP/nonexistent.img"
bad_disk trap-disk-not-512 "size 1000 is not a multiple of 512" --trap-disk "$TMP/odd.img"
bad_disk trap-disk-null-odd "--trap-disk: null size 1000 is not a multiple of 512" --trap-disk null:1000
bad_disk trap-and-pv-same-image "in use by another process" --disk "$TMP/ok.img" --trap-disk "$TMP/ok.img"
bad_disk disk-too-many "--disk: at most 8 \(pvblk0 to pvblk7\)" $(for i in 1 2 3 4 5 6 7 8 9; do echo --disk null:1M; done)
# A file hv may not write, without ,ro: root may write anything, so as nobody.
as_user=()
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$TMP"
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
run disk-readonly-file 10 "${as_user[@]}" "$HV" run --disk "$TMP/ro.img" "$KERNEL"
expect disk-readonly-file 2 "ro.img: not writable .*add ',ro'" err
# No refusal above may have written to an image: compare with the sums taken first.
sha256sum -c --quiet "$TMP/images.sha" >"$TMP/untouched.out" 2>&1 && pass disk-images-untouched ||
	fail disk-images-untouched "$(head -3 "$TMP/untouched.out")"

# The host-native baseline of the block benchmark: real io_uring on a real file.
head -c $((4 << 20)) /dev/urandom >"$TMP/bench.img"
run native-blkbench-smoke 30 build/bench/native-blkbench --time 0.2 --json "$TMP/bench.img"
expect native-blkbench-smoke 0 '"workload": ?"randread-4k-qd1"' out '"workload": ?"randread-4k-qd32"' out \
	'"workload": ?"seqread-128k-qd8"' out '"workload": ?"randwrite-4k-qd1"' out
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r)==4 and all(x["iops"]>0 for x in r)' \
	"$TMP/native-blkbench-smoke.out" 2>/dev/null && pass native-blkbench-json || fail native-blkbench-json "not 4 workloads with positive IOPS"

# make bench QUICK=1, smoke only: every key present, rates positive; speed not
# asserted.  Under its own name, so the README's results.json stays as measured.
run bench-quick 170 env QUICK=1 scripts/bench.sh --name smoke
expect bench-quick 0 "wrote build/bench/smoke.json" out
python3 tests/integration/bench-check.py --file build/bench/smoke.json native loopback-pv loopback-pv-poll \
	2>"$TMP/bench-json.err" && pass bench-quick-json-native || fail bench-quick-json-native "$(tail -1 "$TMP/bench-json.err")"
[ -s build/bench/smoke.png ] && pass bench-quick-chart || fail bench-quick-chart "no smoke.png"

run cli-version 5 "$HV" --version
expect cli-version 0 "^hv [0-9]+\.[0-9]+\.[0-9]+ \(guest ABI 1\)" out
run cli-help 5 "$HV" --help
expect cli-help 0 "usage: hv run \[options\] KERNEL" out "--timeout SECONDS" out

# ---- guests under KVM -----------------------------------------------------------
if ! have_kvm; then
	fail kvm-present "no usable /dev/kvm here: run the suite with make test, which" \
		"uses the test host VM (scripts/testvm/run.sh) on machines without VMX/SVM KVM"
	summary
	exit 1
fi

host_ns=$(build/tests/host-cpuloop)
run selftest 60 "$HV" run --timeout 50 "$KERNEL" -- selftest "host-loop-ns=$host_ns"
expect selftest 0 "selftest: [0-9]+ checks, 0 failed" out "ok +cpu: .*host" out
grep -q "FAIL" "$TMP/selftest.out" && fail selftest-no-fail-lines "$(grep FAIL "$TMP/selftest.out" | head -3)"

run hello-uart-and-hypercall 30 "$HV" run --stats --timeout 20 "$KERNEL" -- hello
expect hello-uart-and-hypercall 0 "^hello from the guest, through the trapped 16550 UART$" out \
	"^hello from the guest, through the console hypercall$" out \
	"console bytes uart [1-9][0-9]* hypercall [1-9]" err

run stats 30 "$HV" run --stats --timeout 20 "$KERNEL" -- hello
expect stats 0 "KVM backend (VMX|SVM)" err "exits to hv [1-9]" err "hv  exit  io +[1-9]" err \
	"hypercall console_write +[1-9]" err "kvm vcpu  exits +[1-9]" err
# --stats agrees with itself: io exits = hypercalls + port accesses; hypercalls = their sum by name.
python3 - "$TMP/stats.err" <<'PY' 2>"$TMP/stats-sums.err" && pass stats-consistent || fail stats-consistent "$(tail -1 "$TMP/stats-sums.err")"
import re, sys
t = open(sys.argv[1]).read()
num = lambda pat: [int(x) for x in re.findall(pat, t, re.M)]
io, = num(r"hv  exit  io +(\d+)$")
hc, = num(r"hv  hypercalls (\d+) ")
by_name = sum(num(r"hv  hypercall +[a-z_]+ +(\d+)$"))
pio = sum(num(r"hv  pio +\S+ +(\d+)$")) + sum(num(r"unclaimed pio (\d+)"))
assert hc == by_name, "hypercalls %d, by name %d" % (hc, by_name)
assert io == hc + pio, "io exits %d, hypercalls %d + port accesses %d" % (io, hc, pio)
PY

# The guest's status passes through; one that collides with hv's own is marked on stderr.
for st in 0 3 1 2 124 125; do
	run exit-status-$st 30 "$HV" run --timeout 20 "$KERNEL" -- exit $st
	case $st in
	1 | 2 | 124 | 125) expect exit-status-$st $st "^hv: guest exited with status $st$" err ;;
	*) expect exit-status-$st $st
	   [ -s "$TMP/exit-status-$st.err" ] && fail exit-status-$st-quiet "stderr: $(head -1 "$TMP/exit-status-$st.err")" ;;
	esac
done

run verbose-backend 30 "$HV" run --verbose --timeout 20 "$KERNEL" -- hello
expect verbose-backend 0 "KVM backend: (VMX|SVM)" err

run divzero-reported 30 "$HV" run --timeout 20 "$KERNEL" -- divzero
expect divzero-reported 128 "FATAL: divide error \(vector 0\)" out "RIP=0000000000[0-9a-f]+" out

run timeout-kills 30 "$HV" run --timeout 1 "$KERNEL" -- spin
expect timeout-kills 124 "killed after --timeout 1.000 s" err

run unknown-command 30 "$HV" run --timeout 20 "$KERNEL" -- frobnicate
expect unknown-command 2 "unknown command 'frobnicate'" out "selftest" out

# ---- the PV block device ---------------------------------------------------------
sha() { sha256sum "$1" | cut -d' ' -f1; }
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

# Detach and attach 100 times: nothing leaks (a leaked MSI route would run out
# at 32, a leaked ioeventfd would make the next attach fail with EEXIST).
run blk-reattach-100 120 "$HV" run --timeout 100 --disk "$TMP/a.img" "$KERNEL" -- blkreattach pvblk0 100
expect blk-reattach-100 0 "pvblk0: 0 of 100 attaches failed; then a 4 KiB read: ok" out

# A KVM wiring failure during attach, made real: gdb points the second
# KVM_IRQFD at fd -1, so the ioctl fails with EBADF.  hv must roll back the
# route and the ioeventfd, report it, refuse that attach, and take the next.
irqfd_line=$(grep -n "if (ioctl(k->vm_fd, KVM_IRQFD, &irqfd) < 0) {" hv/kvm_irq.c | cut -d: -f1)
run blk-attach-rollback 180 gdb -q -batch -nx -ex "set confirm off" -ex "break kvm_irq.c:$irqfd_line" \
	-ex run -ex continue -ex "set var irqfd.fd = -1" -ex delete -ex continue \
	--args "$HV" run --timeout 150 --disk "$TMP/a.img" "$KERNEL" -- blkreattach pvblk0 3
expect blk-attach-rollback 0 "pvblk0: cannot wire the queue into KVM: Bad file descriptor" err \
	"pvblk0 attach 1: failed \(-5\)" out "pvblk0 attach 2: ok" out \
	"pvblk0: 1 of 3 attaches failed; then a 4 KiB read: ok" out "exited normally" out

run blk-null 30 "$HV" run --timeout 20 --disk null:64M "$KERNEL" -- sha256 pvblk0
expect blk-null 0 "^$(head -c $((64 << 20)) /dev/zero | sha256sum | cut -d' ' -f1)\$" out

run blkbench-smoke 60 "$HV" run --timeout 50 --disk "$TMP/a.img" "$KERNEL" -- blkbench pvblk0 --time 0.2 --json
expect blkbench-smoke 0 'blkbench-json: \{"path":"pv","workload":"randread-4k-qd1"' out \
	'"workload":"randread-4k-qd32".*"ios":[1-9]' out '"workload":"seqread-128k-qd8"' out \
	'"workload":"randwrite-4k-qd1"' out

# ---- the trap block controller ------------------------------------------------------
run trap-sha256 60 "$HV" run --stats --timeout 50 --trap-disk "$TMP/a.img" "$KERNEL" -- sha256 trapblk0
expect trap-sha256 0 "^$(sha "$TMP/a.img")\$" out
# The driver stores SECTOR and DMA with 8-byte moves: each must arrive as one 8-byte exit.
check trap-mmio-8-byte-stores "$TMP/trap-sha256.err" "mmio  widths 1:0 2:0 4:[1-9][0-9]* 8:[1-9][0-9]* bytes" \
	"trapblk0 .* [1-9][0-9]* interrupts"

head -c $((8 << 20)) /dev/urandom >"$TMP/t1.img"
head -c $((8 << 20)) /dev/urandom >"$TMP/t2.img"
run trap-copy-trap-to-pv 60 "$HV" run --timeout 50 --trap-disk "$TMP/a.img" --disk "$TMP/t1.img" "$KERNEL" -- copy trapblk0 pvblk0
expect trap-copy-trap-to-pv 0 "copy: 8388608 bytes trapblk0 -> pvblk0, flushed" out
cmp -s "$TMP/a.img" "$TMP/t1.img" || fail trap-copy-trap-to-pv-cmp "the images differ"
run trap-copy-pv-to-trap 60 "$HV" run --timeout 50 --disk "$TMP/b.img" --trap-disk "$TMP/t2.img" "$KERNEL" -- copy pvblk0 trapblk0
expect trap-copy-pv-to-trap 0 "copy: 8388608 bytes pvblk0 -> trapblk0, flushed" out
cmp -s "$TMP/b.img" "$TMP/t2.img" || fail trap-copy-pv-to-trap-cmp "the images differ"

run trap-ro-write 30 "$HV" run --timeout 20 --trap-disk "$TMP/c.img,ro" "$KERNEL" -- blkwrite trapblk0 0 8 90
expect trap-ro-write 1 "blkwrite: trapblk0 sectors 0..7: read-only" out
[ "$(sha "$TMP/c.img")" = "$before" ] || fail trap-ro-write-unchanged "the read-only image changed"

cp "$TMP/c.img" "$TMP/th.img"
run trap-hostile 60 "$HV" run --stats --timeout 50 --trap-disk "$TMP/th.img" "$KERNEL" -- traphostile trapblk0
expect trap-hostile 0 "traphostile: 0 failures" out "trapblk0 .* [1-9][0-9]* bad" err
cmp -s "$TMP/th.img" "$TMP/c.img" || fail trap-hostile-image "the image changed"

run trap-blkbench-smoke 60 "$HV" run --timeout 50 --trap-disk null:64M "$KERNEL" -- blkbench trapblk0 --time 0.2 --json null-4k-qd1 randread-4k-qd32
expect trap-blkbench-smoke 0 '"path":"trap","workload":"null-4k-qd1"' out '"workload":"randread-4k-qd32","device":"trapblk0","qd":1' out

# The bench smoke run above ran the guest paths too.
python3 tests/integration/bench-check.py --file build/bench/smoke.json native pv pv-poll trap 2>"$TMP/bench-json.err" &&
	pass bench-quick-json-paths || fail bench-quick-json-paths "$(tail -1 "$TMP/bench-json.err")"

summary
