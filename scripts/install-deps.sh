#!/bin/sh
# Installs hv's build and test dependencies on Debian 12 (idempotent).
#   musl-tools      musl-gcc: hv ships as a static musl binary
#   liburing-dev    io_uring, linked statically into hv
#   libcunit1-dev   unit tests
#   gnuplot-nox     the benchmark chart (build/bench/results.png)
#   linux-libc-dev  the KVM API headers
#   python3         benchmark reports (JSON, medians) and JSON checks in tests;
#                   also unpacks the test host VM's kernel (lzma)
#   qemu-system-x86 the test host VM: QEMU's emulator with an SVM CPU, so KVM
#                   tests run on machines without VMX/SVM KVM
#   busybox-static  the test host VM's initramfs userland; its udhcpd serves the
#                   network tests' DHCP lease, its ping pings the guest
#   iproute2        network namespaces for the network tests
#   curl, iperf     the network tests' host side: HTTP fetches from the guest's
#                   httpd, and iperf2 against its lwiperf server
#   gdb             fault injection into a real KVM ioctl (the attach rollback test); Debian's gdb against the gdb stub (tests/integration/gdb.sh)
#   util-linux      setpriv: tests run hv as an unprivileged user, or as root
#                   without capabilities (the sandbox tests); fallocate (the
#                   durability test's preallocated image)
#   mount           losetup: the durability test's loop devices
#   dmsetup, e2fsprogs
#                   the durability test's power cuts: device-mapper's log-writes
#                   target under an ext4 file system (mkfs.ext4), whose journal
#                   debugfs recovers at each cut
#   clang, libclang-rt-14-dev
#                   the fuzz targets (tests/fuzz/): clang's -fsanitize=fuzzer links
#                   libFuzzer, ASan and UBSan from libclang-rt-14-dev, which
#                   clang only recommends (libfuzzer-14-dev is the standalone
#                   libFuzzer.a, not needed with -fsanitize=fuzzer)
#   xz-utils        unpacks lwIP's source tarball (scripts/fetch-lwip.sh; apt-get
#                   source fetches it, from the machine's own Debian mirror)
#   patch           applies Debian's own patches to cJSON's source (scripts/fetch-cjson.sh)
#   python3-prometheus-client
#                   the control API test parses GET /metrics with the reference
#                   parser of Prometheus' text format (tests/integration/api.sh)
#   tcpdump         reads back --pcap captures (tests/integration/trace.sh)
#   python3-matplotlib
#                   draws a --trace timeline as a PNG (scripts/trace-png.py)
# With --check it installs nothing and exits 1 if anything is missing.
set -eu
PKGS="gcc make musl-tools liburing-dev libcunit1-dev linux-libc-dev gnuplot-nox python3
	qemu-system-x86 busybox-static iproute2 gdb util-linux mount dmsetup e2fsprogs xz-utils curl iperf
	clang libclang-rt-14-dev patch python3-prometheus-client tcpdump python3-matplotlib"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "${1:-}" = "--check" ] && { echo "missing packages:$missing" >&2; exit 1; }

echo "install-deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
