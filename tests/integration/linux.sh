# Linux on hv (sourced by run.sh): Debian's stock kernel through the PVH entry
# (build/testvm/vmlinux) and the 64-bit boot protocol (build/linux/bzImage),
# a busybox shell fed on standard input, the platform seen from inside, the
# clean ends (poweroff 0, reboot and panic=-1 123), and the inputs hv refuses.
# The PVH boot (with a PV disk and NIC) is also snapshotted at its shell
# prompt (docs/SNAPSHOT.md): the tests that need a running shell, not a
# boot (the platform, PCI enumeration, the panic, the console's quit key),
# restore it instead of booting again (18-30 s each in the test host VM,
# a restore 1-5 s), and the restores are checked themselves: twice to the
# same output, GET /vm, the poweroff watch.
. tests/integration/snap-lib.sh
LX_VMLINUX=build/testvm/vmlinux
LX_BZIMAGE=build/linux/bzImage
LX_INITRD=build/linux/initramfs.cpio.gz
LX_ARGS="console=ttyS0 quiet panic=-1 reboot=k"

# lx_run NAME LIMIT INPUT HV-ARGS...: hv run with INPUT (a file) on standard input.
lx_run() {
	local name=$1 limit=$2 input=$3
	shift 3
	timeout -k 5 "$limit" "$HV" run "$@" <"$input" >"$TMP/$name.out" 2>"$TMP/$name.err"
	RC=$?
}

# The script the guest's shell runs; each answer is computed in the guest, so
# the echo of the input itself never matches.
lx_script() {
	local end=$1
	cat <<SCRIPT
echo "@@sum \$((40 + 2))"
dmesg | grep -q 'kvm-clock: Using msrs' && echo "@@kvmclock y\$((1))"
dmesg | grep -q 'IOAPIC\[0\]: apic_id .* GSI 0-23' && echo "@@ioapic y\$((1))"
grep -q 'IO-APIC *4-edge *ttyS0' /proc/interrupts && echo "@@ttyS0 y\$((1))"
echo "@@clocksource \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "@@clockevent \$(cat /sys/devices/system/clockevents/clockevent0/current_device)"
echo "@@memtotal \$(awk '/MemTotal/ { print \$2 }' /proc/meminfo)"
echo "@@reserved \$(dmesg | sed -n 's/.*Memory: .*available (.* \([0-9]*\)K reserved.*/\1/p')"
$end
SCRIPT
}

# MemTotal within 5% of --mem less what the kernel reserved (dmesg's "Memory:" line).
lx_memcheck() {
	local name=$1 mem_kib=$2 total reserved want
	total=$(sed -n 's/.*@@memtotal \([0-9]*\).*/\1/p' "$TMP/$name.out" | tail -1)
	reserved=$(sed -n 's/.*@@reserved \([0-9]*\).*/\1/p' "$TMP/$name.out" | tail -1)
	if [ -z "$total" ] || [ -z "$reserved" ]; then
		fail "$name-memtotal" "no MemTotal or reservation in the guest's answers"
		return
	fi
	want=$((mem_kib - reserved))
	if [ $((total * 100)) -ge $((want * 95)) ] && [ $((total * 100)) -le $((want * 105)) ]; then
		pass "$name-memtotal"
	else
		fail "$name-memtotal" "MemTotal $total KiB, --mem less reservations $want KiB"
	fi
}

for f in "$LX_VMLINUX" "$LX_BZIMAGE" "$LX_INITRD"; do
	[ -s "$f" ] || { fail linux-images "$f missing: make $LX_INITRD"; return 0 2>/dev/null || exit 1; }
done

# The PVH boot is the one the restores share: with a PV disk and a PV NIC
# (on a tap: a NIC on the loop backend has no snapshot record) in a
# network namespace of this file's, booted to the shell and snapshotted
# there (the VM then shut down).  Every restore gives the same devices.
LX_NS=hvlx$$
lx_cleanup() { ip netns del "$LX_NS" 2>/dev/null; true; }
trap 'lx_cleanup; rm -rf "$TMP"' EXIT
if ! ip netns add "$LX_NS" 2>"$TMP/lx-netns.err"; then
	fail linux-namespace "cannot create a network namespace: $(head -1 "$TMP/lx-netns.err")"
	return 0 2>/dev/null || exit 1
fi
ip netns exec "$LX_NS" ip tuntap add tap0 mode tap
LX_DEVS=(--disk null:16M --net tap:tap0)
LX_SNAP=$TMP/lx.snap
SNAP_NS=$LX_NS lx_snapshot linux-pvh-boot 240 "$LX_SNAP" '^@@hv-linux-init' --verbose --mem 256M \
	"${LX_DEVS[@]}" --initrd "$LX_INITRD" "$LX_VMLINUX" -- $LX_ARGS
expect linux-pvh-boot 0 '@@hv-linux-init' out '@@ready 42' out 'PVH entry' err \
	'"state":"paused"\}$' api '^\{"state":"exiting"\}$' api

# lx_restore NAME LIMIT INPUT HV-ARGS...: lx_run of a restore of that snapshot.
lx_restore() {
	local name=$1 limit=$2 input=$3
	shift 3
	timeout -k 5 "$limit" ip netns exec "$LX_NS" "$HV" run "$@" "${LX_DEVS[@]}" --restore "$LX_SNAP" \
		<"$input" >"$TMP/$name.out" 2>"$TMP/$name.err"
	RC=$?
	return $RC # (for a wait on it in the background)
}

# PCI: the PV disk and the PV NIC are functions on bus 0 behind hv's host
# bridge (configuration mechanism #1, no firmware tables); Linux keeps each
# BAR 0 where hv put it and reads the MSI-X capability (table size - 1: 0
# and 2) through the same ports (here those of a restored VM: hv's config
# space as the snapshot kept it).  Subsystem ID = the device's index (UART
# 0, disk 1, NIC 2).  Then the platform from inside; poweroff ends hv with 0.
cat >"$TMP/pvh.in" <<'SCRIPT'
for d in /sys/bus/pci/devices/*; do echo "@@pci ${d##*/} $(cat $d/vendor) $(cat $d/device) $(cat $d/class) $(cat $d/subsystem_vendor) $(cat $d/subsystem_device) bar=$(head -1 $d/resource | cut -c11-18) cap=$(od -An -tx1 -j52 -N1 $d/config | tr -d ' ') id=$(od -An -tx1 -j64 -N1 $d/config | tr -d ' ') size=$(($(od -An -tu2 -j66 -N2 $d/config) & 2047))"; done
grep -q 'e0000000-e0000fff : 0000:00:01.0' /proc/iomem && echo "@@iomem y$((1))"
grep -q 'e0001000-e0001fff : 0000:00:02.0' /proc/iomem && echo "@@iomem-nic y$((1))"
dmesg | grep -q 'PCI: Using configuration type 1 for base access' && echo "@@conf1 y$((1))"
echo "@@pci-complaints $(dmesg | grep -ciE 'pci.*(conflict|claim|fail|error|bogus|invalid)')"
echo "@@msi-bus $(cat /sys/bus/pci/devices/0000:00:01.0/msi_bus)"
SCRIPT
lx_script "poweroff -f" >>"$TMP/pvh.in"
lx_restore linux-pvh 120 "$TMP/pvh.in" --verbose
lx_time restore-pvh
grep -h 'restore phases' "$TMP/linux-pvh.err" | sed 's/^/     /'
expect linux-pvh 0 '@@sum 42' out 'restore phases' err 'guest powered off' err
check linux-pvh-platform "$TMP/linux-pvh.out" '@@kvmclock y1' '@@ioapic y1' '@@ttyS0 y1' \
	'@@clocksource kvm-clock' '@@clockevent lapic-deadline'
lx_memcheck linux-pvh $((256 * 1024))
check linux-pci-functions "$TMP/linux-pvh.out" \
	'@@pci 0000:00:00.0 0x4876 0x0000 0x060000 0x0000 0x0000 bar=00000000 cap=00' \
	'@@pci 0000:00:01.0 0x4876 0x0001 0x018000 0x4876 0x0001 bar=e0000000 cap=40 id=11 size=0' \
	'@@pci 0000:00:02.0 0x4876 0x0002 0x020000 0x4876 0x0002 bar=e0001000 cap=40 id=11 size=2' \
	'@@iomem y1' '@@iomem-nic y1' '@@conf1 y1' '@@pci-complaints 0' '@@msi-bus 1'

# The poweroff watch leaves a busy guest alone: 3 s of a shell loop cost it
# no exit, as long as KVM says the vCPU is not halted (vcpu_watch.h); and
# poweroff is still seen at once.  Without KVM's "blocking" statistic (a
# kernel before 5.16) every tick kicks, and this is a skip.
# watch_counts NAME CHECK: w_kicks, w_spared and w_left from NAME's
# --verbose poweroff watch line; status 1 once it has failed CHECK (no such
# line) or skipped it (every tick looked: the line says why).
watch_counts() {
	local w rest
	w=$(sed -n 's/^hv: poweroff watch: \([0-9]*\) ticks of 100 ms looked at a halted vCPU, \([0-9]*\) found it in a halt already looked at, \([0-9]*\) left it running\(.*\)$/\1 \2 \3 \4/p' \
		"$TMP/$1.err")
	read -r w_kicks w_spared w_left rest <<<"$w"
	if [ -z "$w" ]; then
		fail "$2" "no poweroff watch line on stderr"
		return 1
	elif [ -n "$rest" ]; then
		skip "$2"
		echo "     $rest"
		return 1
	fi
}
printf '%s\n' "timeout 3 sh -c 'while :; do :; done'; echo @@busy-done" "poweroff -f" >"$TMP/busy.in"
lx_restore linux-watch-busy 120 "$TMP/busy.in" --verbose
lx_time restore-watch-busy
expect linux-watch-busy 0 '@@busy-done' out 'guest powered off' err
if ! watch_counts linux-watch-busy linux-watch-busy-left-alone; then
	:
elif [ "$w_left" -ge 15 ]; then
	pass linux-watch-busy-left-alone
	echo "     $w_left ticks left the busy vCPU running, $w_kicks looked at it halted, $w_spared spared"
else
	fail linux-watch-busy-left-alone "$w_left ticks left it running (3 s busy: about 30), $w_kicks kicked"
fi

# Nor is an idle guest kicked at every tick: once a kick has looked at a
# halt (interrupts on), the watch kicks again only after a new HLT exit
# (vcpu_watch.h).  3 s of sleep: the ticks that found it halted are the
# kicks of before (every one kicked then, none spared); how many the guest's
# own wake-ups still need varies with the host's load (22 of 31 spared on a
# quiet machine, 15 of 30 under make test's), so at least 5 must be spared.
# Poweroff is still seen at once.
printf '%s\n' "sleep 3; echo @@idle-done" "poweroff -f" >"$TMP/idle.in"
lx_restore linux-watch-idle 120 "$TMP/idle.in" --verbose
lx_time restore-watch-idle
expect linux-watch-idle 0 '@@idle-done' out 'guest powered off' err
if ! watch_counts linux-watch-idle linux-watch-idle-spared; then
	:
elif [ "$w_spared" -ge 5 ]; then
	pass linux-watch-idle-spared
	echo "     of $((w_kicks + w_spared)) ticks that found the idle vCPU halted, $w_kicks kicked it, $w_spared spared it; $w_left left it running"
else
	fail linux-watch-idle-spared "$w_spared ticks spared the idle vCPU, $w_kicks kicked it (3 s idle: about 30 ticks)"
fi

# Twice from one snapshot, the second with GET /vm first (the kernel and
# cmdline its snapshot recorded) and the same input after it: the same
# answers (the guest's own, not the echo).
rm -f "$TMP/lx-vm.in" && mkfifo "$TMP/lx-vm.in"
lx_restore linux-restore-vm 120 "$TMP/lx-vm.in" --api-sock "$TMP/lx-vm.sock" &
pid=$!
exec 8>"$TMP/lx-vm.in"
api_up "$TMP/lx-vm.sock"
"$HV" ctl "$TMP/lx-vm.sock" vm >"$TMP/linux-restore-vm.api" 2>&1
cat "$TMP/pvh.in" >&8
wait $pid
RC=$?
lx_time restore-vm
exec 8>&-
expect linux-restore-vm 0 '"kernel":"'"$LX_VMLINUX"'","restore":"'"$LX_SNAP"'","initrd":"'"$LX_INITRD"'","cmdline":"'"$LX_ARGS"'"' api \
	'"mem_bytes":268435456' api '@@sum 42' out
grep -a '^@@' "$TMP/linux-pvh.out" | tr -d '\r' >"$TMP/lx-answers-1"
grep -a '^@@' "$TMP/linux-restore-vm.out" | tr -d '\r' >"$TMP/lx-answers-2"
[ -s "$TMP/lx-answers-1" ] && cmp -s "$TMP/lx-answers-1" "$TMP/lx-answers-2" &&
	pass linux-restores-agree || fail linux-restores-agree "$(diff "$TMP/lx-answers-1" \
	"$TMP/lx-answers-2" | head -4 | tr '\n' '|')"

# bzImage with 4 GiB (RAM split around the hole below 4 GiB): reboot ends hv with 123.
lx_script "reboot -f" >"$TMP/bz.in"
lx_run linux-bzimage 300 "$TMP/bz.in" --verbose --stats --mem 4G --initrd "$LX_INITRD" "$LX_BZIMAGE" -- $LX_ARGS
lx_time boot-bzimage
expect linux-bzimage 123 '@@hv-linux-init' out '@@sum 42' out '64-bit boot protocol' err \
	'reset the machine \(reboot\): status 123' err
check linux-bzimage-platform "$TMP/linux-bzimage.out" '@@kvmclock y1' '@@ioapic y1' \
	'@@ttyS0 y1' '@@clocksource kvm-clock' '@@clockevent lapic-deadline'
lx_memcheck linux-bzimage $((4 * 1024 * 1024))
# hv's own memory after Linux ran: its RSS at the end less the guest RAM
# Linux touched (the peak also counts the bzImage and initrd while copied in),
# checked as boot.sh's hv guest: guest RAM inside the RSS, hv's own <= 16 MiB.
if python3 tests/integration/stats-check.py --memory "$TMP/linux-bzimage.err" >"$TMP/lx-mem.out" 2>&1; then
	pass linux-bzimage-hv-memory
	echo "     $(cat "$TMP/lx-mem.out")"
else
	fail linux-bzimage-hv-memory "$(tail -1 "$TMP/lx-mem.out")"
fi

# A panic with panic=-1 resets: status 123, at once rather than at --timeout.
# (From the snapshot: the panic path, not the boot, is what this checks.)
printf 'echo c > /proc/sysrq-trigger\n' >"$TMP/panic.in"
lx_restore linux-panic 120 "$TMP/panic.in" --timeout 100
lx_time restore-panic
expect linux-panic 123 'Kernel panic' out 'status 123' err

# On a terminal (script(1) gives hv one): raw mode while the guest runs,
# Ctrl-A x quits with status 0, and the terminal is cooked again afterwards.
# The test host VM mounts no devpts: a private one in a mount namespace.
lx_pty() { # COMMAND: runs the shell COMMAND on a pseudo-terminal
	if script -qec true /dev/null </dev/null >/dev/null 2>&1; then
		script -qec "$1" /dev/null
		return
	fi
	[ "$(id -u)" = 0 ] || { echo "no pseudo-terminals, and not root to mount them"; return 77; }
	unshare -m sh -c 'mkdir -p /dev/pts && { [ -e /dev/ptmx ] || touch /dev/ptmx; } &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts &&
		mount --bind /dev/pts/ptmx /dev/ptmx && exec script -qec "$1" /dev/null' sh "$1"
}
# lx_on_pty NAME INPUT [VAR=VALUE...]: the restored Linux on a pseudo-terminal
# (hv's environment plus VAR=VALUE), INPUT its keys; then hv's status and the
# terminal's settings (stty -a), all in $TMP/NAME.out.  RC 77: no terminal.
lx_on_pty() {
	local name=$1 input=$2
	shift 2
	timeout -k 5 120 bash -c "$(declare -f lx_pty); lx_pty \"$* ip netns exec $LX_NS $HV run ${LX_DEVS[*]} \
		--restore $LX_SNAP; echo hv-status=\\\$?; stty -a\"" <"$input" >"$TMP/$name.out" 2>&1
	RC=$?
	touch "$TMP/$name.err"
}
printf '\001x' >"$TMP/quit.in"
# (From the snapshot: a restored Linux reads the console as a booted one.)
lx_on_pty linux-quit-key "$TMP/quit.in"
lx_time restore-quit-key
if [ "$RC" = 77 ]; then
	skip linux-quit-key
else
	expect linux-quit-key 0 'quit from the console \(Ctrl-A x\)' out 'hv-status=0' out \
		'[^-]icanon' out '[^-]echo ' out
fi
# A sandbox stop while the terminal is raw (the I/O thread's forbidden call,
# the test hook): status 159, and the terminal cooked again all the same.
lx_on_pty linux-sandbox-stop-tty /dev/null HV_SANDBOX_PROBE=io
if [ "$RC" = 77 ]; then
	skip linux-sandbox-stop-tty
else
	expect linux-sandbox-stop-tty 0 'forbidden system call 257 \(openat\) in the I/O thread' out \
		'hv-status=159' out '[^-]icanon' out '[^-]echo ' out
fi

# Inputs hv refuses before it starts a VM: one line on stderr, status 2.
lx_bad() { # NAME PATTERN HV-ARGS...
	local name=$1 pat=$2
	shift 2
	run "$name" 120 "$HV" run "$@" # loads a 60 MB kernel over 9p in the test host VM
	expect "$name" 2 "$pat" err
	[ "$(wc -l <"$TMP/$name.err")" -eq 1 ] && pass "$name-one-line" ||
		fail "$name-one-line" "stderr has $(wc -l <"$TMP/$name.err") lines"
}
head -c 1000000 "$LX_VMLINUX" >"$TMP/trunc.vmlinux"
lx_bad linux-truncated-vmlinux 'past the end of the file|truncated' --mem 256M "$TMP/trunc.vmlinux"
head -c 100000 "$LX_BZIMAGE" >"$TMP/trunc.bzImage"
lx_bad linux-truncated-bzimage 'bzImage is truncated' --mem 256M "$TMP/trunc.bzImage"
cp "$LX_BZIMAGE" "$TMP/old.bzImage"
printf '\x09\x02' | dd of="$TMP/old.bzImage" bs=1 seek=$((0x206)) conv=notrunc status=none
lx_bad linux-old-protocol 'boot protocol 2.09 .*too old|boot protocol 2.09' --mem 256M "$TMP/old.bzImage"
truncate -s 200M "$TMP/big.initrd"
lx_bad linux-initrd-too-big 'initrd .* does not fit' --mem 128M --initrd "$TMP/big.initrd" "$LX_VMLINUX"
lx_bad linux-cmdline-too-long 'command line is [0-9]+ bytes' --mem 256M "$LX_VMLINUX" -- "$(head -c 3000 /dev/zero | tr '\0' x)"
lx_bad linux-too-little-mem 'Linux needs at least 128 MiB' --mem 64M "$LX_VMLINUX"
lx_bad linux-initrd-for-hv '--initrd is for Linux' --initrd "$LX_INITRD" "$KERNEL"
lx_time bad-inputs
lx_cleanup
