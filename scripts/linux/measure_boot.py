#!/usr/bin/env python3
"""Time from start to Linux's /init: hv beside QEMU (-M microvm -accel kvm), same kernel and
initramfs, in one run on this machine's /dev/kvm (meant for the test host VM:
scripts/linux/measure-boot.sh).  Also hv's own memory beyond guest RAM (hv --stats: its RSS
at the end less the guest RAM Linux touched) with Linux having run.  Writes a JSON file;
every figure is measured here, labelled with where.

usage: measure_boot.py OUT.json [RUNS]
"""
import json
import os
import platform
import re
import select
import subprocess
import sys
import time

VMLINUX = "build/testvm/vmlinux"
INITRD = "build/linux/initramfs.cpio.gz"
ARGS = "console=ttyS0 quiet panic=-1 reboot=k"
MARKER = b"@@hv-linux-init"
MEM = "256M"
LIMIT_S = 600


def run(cmd, reboot):
    """Runs cmd; once /init is up, 'reboot -f' on stdin (reboot: hv, whose --stats comes at
    its end) or a kill (QEMU: microvm has no keyboard controller, and Linux's reboot=k did
    not end it within 100 s in the test host VM); seconds to MARKER on stdout (None if
    never), output.  Not before: QEMU's UART drops what arrives before Linux's driver
    listens (hv holds it), and a lost 'reboot' would leave the guest running."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, seen = b"", None
    while True:
        left = LIMIT_S - (time.monotonic() - start)
        if left <= 0:
            p.kill()
            break
        r, _, _ = select.select([p.stdout], [], [], left)
        if not r:
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
        if seen is None and MARKER in out:
            seen = time.monotonic() - start
            if not reboot:
                p.kill()
                break
            p.stdin.write(b"reboot -f\n")
            p.stdin.flush()
    p.wait()
    return seen, out.decode(errors="replace"), p.returncode


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    hv = ["build/hv", "run", "--stats", "--mem", MEM, "--initrd", INITRD, VMLINUX, "--", ARGS]
    qemu = ["qemu-system-x86_64", "-M", "microvm,acpi=off", "-accel", "kvm", "-cpu", "host",
            "-m", MEM, "-smp", "1", "-display", "none", "-monitor", "none", "-no-reboot",
            "-nic", "none", "-serial", "stdio", "-kernel", VMLINUX, "-initrd", INITRD,
            "-append", ARGS]
    rows = {"hv": [], "qemu": []}
    rss = []
    for _ in range(runs):
        for name, cmd in (("hv", hv), ("qemu", qemu)):
            t, out, rc = run(cmd, name == "hv")
            if t is None:
                sys.exit(f"measure_boot: {name} never reached /init (status {rc}): {out[-400:]}")
            rows[name].append(round(t * 1000))
            m = re.search(r"hv's own (-?\d+) KiB", out)
            if name == "hv" and m:
                rss.append(int(m.group(1)))
    med = {k: sorted(v)[len(v) // 2] for k, v in rows.items()}
    result = {
        "where": "test host VM (QEMU TCG, emulated SVM, nested KVM)"
        if os.environ.get("HV_TESTVM") else platform.node(),
        "kernel": os.path.realpath(VMLINUX), "initrd": INITRD, "cmdline": ARGS, "mem": MEM,
        "runs": runs,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "to_init_ms": rows, "to_init_median_ms": med,
        "hv_over_qemu": round(med["hv"] / med["qemu"], 3),
        "hv_rss_beyond_guest_ram_kib": rss,
        "note": "time from process start to the first /init line on the console; hv enters "
                "through PVH, QEMU microvm too (acpi=off); absolute times are the test host "
                "VM's, compare the ratio",
    }
    with open(sys.argv[1], "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
