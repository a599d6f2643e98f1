#!/usr/bin/env bash
# Integration tests: the real hv binary on real kernels under real KVM, one
# file per feature, all over lib.sh:
#   cli        bad arguments, --version, --help
#   elf        kernels hv must refuse
#   disk-args  disk images hv must refuse
#   boot       guests: self-test, consoles, --stats, statuses, faults, --timeout
#   pvblk      the PV block device
#   trapblk    the trap-and-emulate block controller
#   net        the PV and trap NICs (in a network namespace it creates)
#   sandbox    seccomp filters per thread, privilege drop, --chroot, --uid
#   bench      benchmark smoke tests
#   faults     a full file system, floods, two guests at once
#   durability power cuts (dm-log-writes) under guests writing and flushing
#   linux      Debian's kernel: PVH and bzImage boots, console, platform, ends, bad inputs
#   linux-pv   hv's PV disk and NIC as Linux modules (hv_pv.ko): QEMU finds none; ext4, fio, NIC on hv
#   api        the control API (--api-sock): pause/resume, metrics, errors, hv ctl
#   snapshot   snapshot and restore: a program cut and resumed twice, bad files, blkverify
#   ratelimit  rate limits on a running guest's PV disk through the control API
#   trace      --trace (a PV disk's requests stage by stage) and --pcap (a ping on the PV NIC)
#   inject     seeded fault injection (--fault) under guest workloads, PV and trap paths
#   gdb        the gdb stub (--gdb): Debian's gdb and a raw client on hv's kernel
# The first three need no KVM; the rest need a /dev/kvm that runs guests (VMX
# or SVM): scripts/run-tests.sh runs this inside the test host VM when the
# machine has none.  tests/integration/run.sh FEATURE... runs only those.
# Ends with "integration: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ALL="cli elf disk-args boot pvblk trapblk net sandbox bench faults durability linux linux-pv api snapshot ratelimit trace inject gdb"
NO_KVM="cli elf disk-args"
[ "${1:-}" = --list ] && { echo "$ALL"; exit 0; }
features=${*:-$ALL}
for f in $features; do
	[ -f "tests/integration/$f.sh" ] && case " $ALL " in *" $f "*) ;; *) false ;; esac ||
		{ echo "integration: no feature '$f' (features: $ALL)"; exit 2; }
done

HV=build/hv
KERNEL=build/guest-kernel.elf
for f in "$HV" "$KERNEL" build/tests/host-cpuloop build/bench/native-blkbench build/bench/native-cpubench; do
	[ -e "$f" ] || { echo "integration: $f missing: run make first"; exit 1; }
done

for feature in $features; do
	f=$feature
	t0=$(date +%s)
	echo "---- $f"
	case " $NO_KVM " in
	*" $f "*) ;;
	*)
		if ! have_kvm; then
			fail "$f-needs-kvm" "no usable /dev/kvm here: run the suite with make test, which uses" \
				"the test host VM (scripts/testvm/run.sh) on machines without VMX/SVM KVM"
			continue
		fi
		;;
	esac
	. "tests/integration/$f.sh"
	# How long each feature took: scripts/run-tests.sh balances its groups by these.
	echo "---- $feature took $(($(date +%s) - t0)) s" # (a feature's script may reuse f)
done
summary
