# shellcheck shell=bash
# Sourced by scripts/bench.sh: the Linux rows of make bench, one Linux guest
# (scripts/peers/) on hv and on QEMU in the same place as hv's guests (this
# machine's VMX/SVM KVM or the test host VM's), on the same image, with the
# same workloads:
#   hv-linux       hv's PV disk and NIC (pv-drivers/linux), the same kernel and initramfs
#   hv-linux-batch the same under hv run --io-batch (its I/O thread SCHED_BATCH)
#   qemu-virtio    virtio-blk and virtio-net (QEMU's userspace backend, vhost=off)
#   qemu-emulated  AHCI (ide-hd) and e1000
# One QEMU boot per (path, round) runs every workload over the serial
# handshake of scripts/peers/init, driven by scripts/peers/drive.py, which
# snapshots KVM's debugfs counters of that VM and QEMU's CPU time around
# each.  Raw files: $RAW/peer-PATH-WORKLOAD-REP.json (one JSON object); a
# workload that failed is an attempt failure (failures.jsonl) with its reason.
PEER_WORKLOADS="randread-4k-qd1 randread-4k-qd32 seqread-128k-qd8 randwrite-4k-qd1 tcp-h2g tcp-g2h udp-rr"
PEER_NS=hvbq$$

peer_cleanup() {
	ip netns del "$PEER_NS" 2>/dev/null
	return 0
}

# peer_setup: the namespace and its tap0 (10.0.0.1), KVM's debugfs, the
# image's cache mode and QEMU's AIO engine.  1 and a message if any is missing.
peer_setup() {
	# bench-net.sh's trap cleans its own namespaces: clean both on exit.
	trap 'peer_cleanup; declare -F net_cleanup >/dev/null && net_cleanup' EXIT
	scripts/peers/build.sh || { echo "bench: the peer guest's image (scripts/peers/build.sh) failed" >&2; return 1; }
	ip netns add "$PEER_NS" && ip -n "$PEER_NS" link set lo up &&
		ip -n "$PEER_NS" tuntap add tap0 mode tap &&
		ip -n "$PEER_NS" addr add 10.0.0.1/24 dev tap0 && ip -n "$PEER_NS" link set tap0 up ||
		{ echo "bench: cannot set up namespace $PEER_NS with tap0 (root and ip netns needed)" >&2; return 1; }
	[ -d /sys/kernel/debug/kvm ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -d /sys/kernel/debug/kvm ] ||
		{ echo "bench: no /sys/kernel/debug/kvm: KVM's counters of the peer VMs cannot be read" >&2; return 1; }
	# cache=none is O_DIRECT: where the image's file system refuses it (hv
	# then goes buffered too), QEMU's page-cache mode.
	local cache=none aio=native
	python3 scripts/benchlib.py direct "$img" 2>/dev/null || cache=writeback
	# io_uring when this QEMU is built with it (Debian links liburing).  Not grep -q:
	# it may exit before ldd has written all, and pipefail then says no (1 in 4 here).
	ldd "$(command -v qemu-system-x86_64)" | grep liburing >/dev/null && aio=io_uring
	[ "$cache" = writeback ] && [ "$aio" = native ] && aio=threads # native needs O_DIRECT
	PEER_DRIVE="cache=$cache,aio=$aio"
	echo "bench: peer rows: QEMU -drive $PEER_DRIVE, tap in namespace $PEER_NS"
}

# peer_result BASE: what drive.py wrote for one workload, or its reason and status 1.
peer_result() {
	if [ -f "$1.json" ]; then
		cat "$1.json"
		return 0
	fi
	echo "bench-qemu: $(cat "$1.why" 2>/dev/null || echo "drive.py wrote neither $1.json nor $1.why")" >&2
	return 1
}

# qemu_guest PATH REP: one boot of PATH (one of $PEERS), every workload.
qemu_guest() {
	local path=$1 rep=$2 w
	# A boot that hangs is one recorded failure, inside the limits around it
	# (the quick run's: its VM's 900 s, the integration test's 900 s for two).
	local limit=1200
	[ "${QUICK:-0}" = 1 ] && limit=400
	timeout -k 10 $((limit + 60)) python3 scripts/peers/drive.py --path "$path" --rep "$rep" --raw "$RAW" \
		--image "$img" --drive-opts "$PEER_DRIVE" --ns "$PEER_NS" --secs "$secs" \
		--net-secs "$NET_SECS" --net-rr "$NET_RR" --timeout "$limit" \
		2>"$RAW/peer-$path-$rep.drive" || true # each workload's failure is recorded below
	sed 's/^/  /' "$RAW/peer-$path-$rep.drive" | grep -v ' failed: ' >&2
	for w in $PEER_WORKLOADS; do
		attempt "$path" "$w" "$rep" "$RAW/peer-$path-$w-$rep" peer_result "$RAW/peer-$path-$w-$rep"
	done
}
