# shellcheck shell=bash
# The trap-and-emulate block controller: register-level I/O over MMIO exits,
# copies to and from a PV disk, read-only, hostile register values.
head -c $((8 << 20)) /dev/urandom >"$TMP/a.img"
head -c $((8 << 20)) /dev/urandom >"$TMP/b.img"
head -c $((4 << 20)) /dev/urandom >"$TMP/c.img"
before=$(sha "$TMP/c.img")

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
expect trap-blkbench-smoke 0 '"path":"trap","workload":"null-4k-qd1"' out '"workload":"randread-4k-qd32","device":"trapblk0","qd":1' out \
	'"workload":"null-4k-qd1".*"kinds":\{"io":0,"mmio":[1-9][0-9]*,' out
