#!/usr/bin/env bash
# Linux boot to /init under hv and under QEMU (-M microvm -accel kvm), same
# kernel and initramfs, in one run inside the test host VM; hv's RSS beyond
# guest RAM.  Writes build/linux/boot.json.   scripts/linux/measure-boot.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/hv build/linux/initramfs.cpio.gz
exec scripts/testvm/run.sh -- python3 scripts/linux/measure_boot.py build/linux/boot.json "${1:-1}"
