# shellcheck shell=bash
# Disk images hv must refuse before KVM is touched: one line, status 2, and
# no refused image written to.
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
