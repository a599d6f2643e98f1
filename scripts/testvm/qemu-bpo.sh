#!/usr/bin/env bash
# Fetches QEMU 10 from Debian's bookworm-backports into build/qemu-bpo/ for a
# test host VM (scripts/testvm/run.sh's default), never installing it:
# QEMU 10's emulated SVM loads DR7 at VMRUN with its breakpoints armed
# (helper_vmrun calls cpu_x86_update_dr7), which QEMU 7.2's does not, so a
# nested guest's hardware breakpoints and watchpoints fire there (docs/GDB.md).
#
# A private apt configuration under build/qemu-bpo/apt/ (its own sources list
# naming bookworm-backports and bookworm, its own lists and cache; the system's
# apt state is only read for what is installed), `apt-get download` of
# qemu-system-x86, qemu-system-data and seabios (QEMU 10 wants a newer SeaBIOS
# than bookworm's; its libraries are bookworm's, checked with ldd below),
# `dpkg-deb -x` into build/qemu-bpo/root/.  Prints the path of a wrapper,
# build/qemu-bpo/qemu-system-x86_64, that runs that binary with its own
# firmware first (-L).  The version is backports' newest (Debian's mirror
# keeps no other), recorded in build/qemu-bpo/.stamp: once one is unpacked,
# nothing is fetched again; QEMU_BPO_VERSION=V asks for exactly V (measured
# with 1:10.0.2+ds-2+deb13u1~bpo12+1).  rm -rf build/qemu-bpo takes a newer one.
#   usage: scripts/testvm/qemu-bpo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
die() { echo "qemu-bpo: $*" >&2; exit 1; }

VERSION=${QEMU_BPO_VERSION:-}
OUT=$(pwd)/build/qemu-bpo
WRAP=$OUT/qemu-system-x86_64
bin=$OUT/root/usr/bin/qemu-system-x86_64

fetch() {
	rm -rf "$OUT/root" "$OUT/debs" "$OUT/.stamp"
	mkdir -p "$OUT/apt/lists/partial" "$OUT/apt/cache/archives/partial" \
		"$OUT/apt/preferences.d" "$OUT/debs" "$OUT/root"
	printf 'deb http://deb.debian.org/debian %s main\n' bookworm-backports bookworm \
		>"$OUT/apt/sources.list"
	# No locking and no sandbox user: every file apt writes is under build/.
	apt_opts=(-q -o "Dir::Etc::sourcelist=$OUT/apt/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::Etc::preferencesparts=$OUT/apt/preferences.d" -o "Dir::State::Lists=$OUT/apt/lists"
		-o "Dir::Cache=$OUT/apt/cache" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")
	echo "qemu-bpo: apt-get update into build/qemu-bpo/apt (bookworm-backports, bookworm)" >&2
	apt-get "${apt_opts[@]}" update >"$OUT/apt.log" 2>&1 ||
		die "apt-get update failed: $(grep -E '^(E|W):' "$OUT/apt.log" | tail -n 1)"
	if [ -n "$VERSION" ]; then
		want=(qemu-system-x86="$VERSION" qemu-system-data="$VERSION")
	else
		want=(qemu-system-x86/bookworm-backports qemu-system-data/bookworm-backports)
	fi
	want+=(seabios/bookworm-backports)
	echo "qemu-bpo: fetching ${want[*]} (apt-get download)" >&2
	(cd "$OUT/debs" && apt-get "${apt_opts[@]}" download "${want[@]}") >>"$OUT/apt.log" 2>&1 ||
		die "apt-get download failed: $(grep -E '^E:' "$OUT/apt.log" | tail -n 1)"
	for f in "$OUT"/debs/*.deb; do
		dpkg-deb -x "$f" "$OUT/root" || die "dpkg-deb -x $f failed"
	done
	missing=$(ldd "$bin" | awk '/not found/ { print $1 }' | tr '\n' ' ')
	[ -z "$missing" ] || die "$bin needs libraries this machine lacks: $missing"
	echo "qemu-system-x86=$(dpkg-deb -f "$OUT"/debs/qemu-system-x86_*.deb Version)" >"$OUT/.stamp"
}

# Two test host VMs may start at once: one fetches, the other waits for it.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
have=$(cat "$OUT/.stamp" 2>/dev/null || true)
if [ -z "$have" ] || { [ -n "$VERSION" ] && [ "$have" != "qemu-system-x86=$VERSION" ]; }; then
	fetch
fi
VERSION=$(sed 's/^qemu-system-x86=//' "$OUT/.stamp")
[ -x "$bin" ] || die "$bin is missing (rm -rf build/qemu-bpo and run again)"

# Its firmware before the system's (bookworm's SeaBIOS is older than it wants);
# -audio none: without it QEMU probes audio back ends by loading the system
# QEMU 7.2's modules from /usr/lib, which refuse to load and say so.
cat >"$WRAP.tmp" <<EOF
#!/bin/sh
# Written by scripts/testvm/qemu-bpo.sh: QEMU $VERSION unpacked under build/.
exec "$bin" -L "$OUT/root/usr/share/qemu" -L "$OUT/root/usr/share/seabios" -audio none "\$@"
EOF
chmod +x "$WRAP.tmp" && mv -f "$WRAP.tmp" "$WRAP" # never half-written under a running VM
echo "$WRAP"
