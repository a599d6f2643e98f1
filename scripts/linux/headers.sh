#!/usr/bin/env bash
# Unpacks the build headers of the exact kernel the tests boot under
# build/linux/headers/, for out-of-tree modules (pv-drivers/linux/):
#   linux-headers-<abi>-amd64, linux-headers-<abi>-common, linux-kbuild-6.1
# at the version of the test host VM's kernel package (build/testvm/deb/,
# scripts/testvm/build.sh), fetched with apt-get download into build/ and
# unpacked with dpkg-deb -x: nothing goes into /usr/src or /lib/modules.
# Prints the directory to pass as `make -C`.  Does nothing when the unpacked
# tree is newer than the kernel package.
#
# For another Debian kernel: KERNEL_DEB=path/to/linux-image-*.deb (its ABI and
# version are read from the file name), OUT=another/folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
die() { echo "linux-headers: $*" >&2; exit 1; }

OUT=${OUT:-build/linux/headers}
deb=${KERNEL_DEB:-}
if [ -z "$deb" ]; then
	scripts/testvm/build.sh >&2 || die "the test host VM's kernel (scripts/testvm/build.sh) failed"
	deb=$(ls build/testvm/deb/linux-image-*.deb 2>/dev/null | head -1) || true
fi
[ -n "$deb" ] && [ -s "$deb" ] || die "no kernel package (build/testvm/deb/linux-image-*.deb)"

# linux-image-6.1.0-57-amd64_6.1.192-3_amd64.deb: ABI 6.1.0-57, flavour amd64,
# version 6.1.192-3; kbuild is per major.minor (linux-kbuild-6.1).
base=${deb##*/}
pkg=${base%%_*}
ver=${base#*_}
ver=${ver%%_*}
abi_flavour=${pkg#linux-image-}
flavour=${abi_flavour##*-}
abi=${abi_flavour%-*}
mm=$(echo "$abi" | cut -d. -f1,2)
[[ $abi =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+$ ]] && [ -n "$ver" ] && [ -n "$flavour" ] ||
	die "cannot read the ABI from '$base'"
KDIR=$OUT/usr/src/linux-headers-$abi-$flavour
COMMON=$OUT/usr/src/linux-headers-$abi-common

if [ -f "$OUT/.stamp" ] && [ "$OUT/.stamp" -nt "$deb" ] && [ "$(cat "$OUT/.stamp")" = "$abi-$flavour $ver" ]; then
	echo "$KDIR"
	exit 0
fi

dl=$OUT.deb
err=$(pwd)/$OUT.apt-err
rm -rf "$OUT" "$dl" && mkdir -p "$dl" "$OUT"
want="linux-headers-$abi-$flavour=$ver linux-headers-$abi-common=$ver linux-kbuild-$mm=$ver"
echo "linux-headers: fetching $want (apt-get download)" >&2
# shellcheck disable=SC2086
if ! (cd "$dl" && apt-get download -q $want >/dev/null 2>"$err"); then
	apt-get update -qq >/dev/null 2>&1 || true
	# shellcheck disable=SC2086
	(cd "$dl" && apt-get download -q $want >/dev/null 2>"$err") ||
		die "apt-get download failed: $(grep -v '^W:' "$err" | tail -n 1)"
fi
for f in "$dl"/*.deb; do
	dpkg-deb -x "$f" "$OUT" || die "dpkg-deb -x $f failed"
done
rm -rf "$dl" "$err"
[ -f "$KDIR/Makefile" ] && [ -d "$COMMON" ] || die "no $KDIR/Makefile or $COMMON after unpacking"

# The flavour's Makefile includes the common tree by its installed path, and
# its scripts/ and tools/ are symlinks to linux-kbuild's: point both at the
# unpacked copies.
top=$(cd "$OUT" && pwd)
sed -i "s|/usr/src/linux-headers-$abi-common|$top/usr/src/linux-headers-$abi-common|g" "$KDIR/Makefile"
grep -q "$top/usr/src/linux-headers-$abi-common" "$KDIR/Makefile" ||
	die "$KDIR/Makefile does not name /usr/src/linux-headers-$abi-common"
for d in "$KDIR" "$COMMON"; do
	for l in scripts tools; do
		t=$(readlink "$d/$l" 2>/dev/null) || continue
		case $t in /*) ln -sfn "$top$t" "$d/$l" ;; esac
	done
done
[ -x "$KDIR/scripts/basic/fixdep" ] || [ -x "$top/usr/lib/linux-kbuild-$mm/scripts/basic/fixdep" ] ||
	die "linux-kbuild-$mm has no scripts/basic/fixdep"
echo "$abi-$flavour $ver" >"$OUT/.stamp"
echo "linux-headers: $KDIR" >&2
echo "$KDIR"
