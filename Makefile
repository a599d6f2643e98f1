# hv: one Makefile for the VMM, the guest kernel, the tests and the tools.
#   make          build/hv (static, musl + liburing) and build/guest-kernel.elf
#   make run      build, then boot the default guest (self-test and demo), on
#                 this machine's VMX/SVM KVM or else in the test host VM
#   make test     unit tests (CUnit, ASan+UBSan) and integration tests (KVM:
#                 here when /dev/kvm is VMX/SVM, else in the test host VM)
#   make test-vm  the same, with the integration tests always in the test host VM
#   make fuzz     every fuzz target for FUZZ_SECONDS, figures in build/fuzz/results.json

# A recipe that fails or is killed leaves no half-written target behind to
# look up to date next time.
.DELETE_ON_ERROR:

BUILD      := build
COMMA      := ,
MULTIARCH  := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
LIBURING_A := /usr/lib/$(MULTIARCH)/liburing.a
Q          := $(if $(V),,@)
WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CSTD       := -std=gnu11
# Every object records the headers it included, so a header change rebuilds
# exactly what uses it (the .d files are read at the end of this Makefile).
DEPFLAGS   := -MMD -MP

# ---- dependencies: installed by scripts/install-deps.sh when absent ----------
DEPS := $(BUILD)/.deps
$(DEPS): scripts/install-deps.sh
	@scripts/install-deps.sh --check 2>/dev/null || scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

# musl-gcc sees only musl's headers; give it the kernel's UAPI and liburing's.
MUSL_INC := $(BUILD)/musl-include
$(MUSL_INC)/.stamp: $(DEPS)
	@mkdir -p $(MUSL_INC)
	@ln -sfn /usr/include/linux $(MUSL_INC)/linux
	@ln -sfn /usr/include/$(MULTIARCH)/asm $(MUSL_INC)/asm
	@ln -sfn /usr/include/asm-generic $(MUSL_INC)/asm-generic
	@ln -sfn /usr/include/liburing $(MUSL_INC)/liburing
	@ln -sf /usr/include/liburing.h $(MUSL_INC)/liburing.h
	@touch $@

# ---- hv: the VMM --------------------------------------------------------------
HV_SRCS   := $(wildcard hv/*/*.c)
PV_SRCS   := $(wildcard pv-drivers/*.c)
HV_LIB    := $(filter-out hv/core/main.c,$(HV_SRCS))
HV_GEN    := $(BUILD)/gen
HV_CFLAGS := $(CSTD) $(WARN) -O2 -g -D_GNU_SOURCE -isystem $(MUSL_INC) -Ihv -Iprotocol -I$(HV_GEN)
HV_OBJS   := $(patsubst hv/%.c,$(BUILD)/hv-obj/%.o,$(HV_SRCS))

# The sandbox names a forbidden system call: x86-64 names by number, from the
# kernel headers hv is built against (hv, unit tests and loopback alike).
$(HV_GEN)/syscall_names.h: $(DEPS)
	@mkdir -p $(@D)
	$(Q)sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' \
		/usr/include/$(MULTIARCH)/asm/unistd_64.h >$@
$(BUILD)/hv-obj/sandbox/sandbox.o $(BUILD)/ut-obj/hv/sandbox/sandbox.o \
$(BUILD)/lb-obj/hv/sandbox/sandbox.o $(BUILD)/ut-tsan-obj/hv/sandbox/sandbox.o \
$(BUILD)/fuzz-obj/hv/sandbox/sandbox.o: $(HV_GEN)/syscall_names.h

# cJSON, the control API's JSON (hv/api/), from Debian's source package:
# scripts/fetch-cjson.sh puts cJSON.c and .h under build/gen/cjson/, which
# every build of the API's objects (hv, unit tests, fuzz, loopback) needs.
CJSON_H := $(HV_GEN)/cjson/cJSON.h
$(CJSON_H): scripts/fetch-cjson.sh scripts/debsrc.sh $(DEPS)
	$(Q)scripts/fetch-cjson.sh $(BUILD)/cjson $(@D)
$(foreach d,hv-obj ut-obj/hv lb-obj/hv ut-tsan-obj/hv fuzz-obj/hv,$(patsubst hv/%.c,$(BUILD)/$(d)/%.o,$(wildcard hv/api/*.c hv/snap/snap_api.c))) \
$(BUILD)/ut-obj/tests/unit/test_api.o $(BUILD)/ut-tsan-obj/tests/unit/test_api.o: $(CJSON_H)

$(BUILD)/hv-obj/%.o: hv/%.c $(MUSL_INC)/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)musl-gcc $(HV_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/hv: $(HV_OBJS)
	@$(if $(Q),echo "  LD      $@ (static, musl + liburing)")
	$(Q)musl-gcc -static -o $@ $(HV_OBJS) $(LIBURING_A) -lpthread

# ---- lwIP: the guest's TCP/IP stack, from Debian's source package ----------------
# Fetched once (apt-get source, scripts/fetch-lwip.sh) and unpacked under
# build/; the project carries only the port (guest-kernel/net/).
LWIP_DIR   := $(BUILD)/lwip/src-tree
LWIP_STAMP := $(BUILD)/lwip/.stamp
$(LWIP_STAMP): scripts/fetch-lwip.sh scripts/debsrc.sh $(DEPS)
	$(Q)scripts/fetch-lwip.sh $(BUILD)/lwip
	@touch $@
# What the guest uses: the core, IPv4, Ethernet, and the iperf2 server.
LWIP_SRCS := $(addprefix core/,def.c inet_chksum.c init.c ip.c mem.c memp.c netif.c pbuf.c \
	     raw.c stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c) \
	     $(addprefix core/ipv4/,dhcp.c etharp.c icmp.c ip4.c ip4_addr.c ip4_frag.c) \
	     netif/ethernet.c apps/lwiperf/lwiperf.c

# ---- the guest kernel -----------------------------------------------------------
# -nostdinc: the guest sees gcc's own headers (stdint.h, stddef.h, ...) and
# its own lib.h, never the host's C library; lwIP's <string.h> and
# <stdlib.h> are the port's two shims over lib.h.
GCC_INC   := $(shell gcc -print-file-name=include)
GK_CFLAGS := $(CSTD) $(WARN) -O2 -g -ffreestanding -nostdinc -isystem $(GCC_INC) -fno-pic \
	     -fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	     -fno-omit-frame-pointer -mcmodel=small -Iguest-kernel/include -Ipv-drivers \
	     -Iprotocol -Iguest-kernel/net/port -I$(LWIP_DIR)/src/include
GK_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	      -Wl,-z,noexecstack
GK_SRCS := $(wildcard guest-kernel/*.c guest-kernel/*/*.c guest-kernel/*.S \
	     guest-kernel/*/*.S pv-drivers/*.c)
GK_OBJS := $(patsubst %,$(BUILD)/gk-obj/%.o,$(GK_SRCS)) \
	   $(patsubst %,$(BUILD)/gk-obj/lwip/%.o,$(LWIP_SRCS))

# Every guest object may include lwIP's headers: the tree comes first.
$(BUILD)/gk-obj/%.c.o: %.c $(DEPS) $(LWIP_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (guest)")
	$(Q)gcc $(GK_CFLAGS) $(DEPFLAGS) -c $< -o $@
# lwIP's own sources (they exist only once the stamp is made).
$(BUILD)/gk-obj/lwip/%.c.o: $(LWIP_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      lwip/src/$*.c (guest)")
	$(Q)gcc $(GK_CFLAGS) $(DEPFLAGS) -c $(LWIP_DIR)/src/$*.c -o $@
$(BUILD)/gk-obj/%.S.o: %.S $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $< (guest)")
	$(Q)gcc $(GK_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/guest-kernel.elf: $(GK_OBJS) guest-kernel/kernel.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)gcc $(GK_CFLAGS) $(GK_LDFLAGS) -T guest-kernel/kernel.ld -o $@ $(GK_OBJS) -lgcc

# hv with its disk FLUSH a no-op (disk_file.c's fdatasync made a write of no
# bytes, which completes OK): tests/integration/durability.sh shows that its
# power cuts catch it.  The build fails if the expression no longer matches.
NOFLUSH_SED := s/io_uring_prep_fsync(sqe, fd_of(d), IORING_FSYNC_DATASYNC);/io_uring_prep_writev(sqe, fd_of(d), NULL, 0, 0);/
$(BUILD)/tests/hv-noflush: hv/backend/disk_file.c $(HV_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@ (FLUSH a no-op)")
	$(Q)sed '$(NOFLUSH_SED)' $< >$(@D)/disk_file-noflush.c
	$(Q)! cmp -s $< $(@D)/disk_file-noflush.c || { echo "$@: no match in $<: $(NOFLUSH_SED)" >&2; exit 1; }
	$(Q)musl-gcc $(HV_CFLAGS) -c $(@D)/disk_file-noflush.c -o $(@D)/disk_file-noflush.o
	$(Q)musl-gcc -static -o $@ $(filter-out %/disk_file.o,$(HV_OBJS)) $(@D)/disk_file-noflush.o \
		$(LIBURING_A) -lpthread

# ---- the test host VM: Debian's kernel with kvm_amd under QEMU's emulator ---------
TESTVM := $(BUILD)/testvm/initramfs.cpio.gz
$(TESTVM): scripts/testvm/build.sh scripts/testvm/init $(DEPS)
	$(Q)scripts/testvm/build.sh

# QEMU 10 from bookworm-backports, unpacked under build/ (never installed), for
# a test host VM whose emulated SVM fires a nested guest's hardware breakpoints:
# scripts/testvm/run.sh's default (docs/GDB.md).
QEMU_BPO := $(BUILD)/qemu-bpo/qemu-system-x86_64
$(QEMU_BPO): scripts/testvm/qemu-bpo.sh
	$(Q)scripts/testvm/qemu-bpo.sh >/dev/null

# Linux on hv: Debian's bzImage (from the test host VM's kernel package) and a
# busybox initramfs; the vmlinux is the test host VM's.
LINUX_IMG := $(BUILD)/linux/initramfs.cpio.gz
$(LINUX_IMG): scripts/linux/build.sh scripts/linux/init $(TESTVM)
	$(Q)scripts/linux/build.sh

# ---- the peer guest: Debian's Linux with fio and iperf, for make bench's QEMU rows ----
PEERS_IMG := $(BUILD)/peers/initramfs.cpio.gz
$(PEERS_IMG): scripts/peers/build.sh scripts/peers/libs.py scripts/peers/init tests/bench/net-rr.c \
		$(TESTVM) $(DEPS)
	$(Q)scripts/peers/build.sh

# ---- Linux kernel modules for hv's PV disk and NIC (pv-drivers/linux/) --------
# Built out of tree against the headers of the test host VM's kernel
# (scripts/linux/headers.sh unpacks them under build/linux/headers/); kbuild
# writes beside its sources, so the build folder holds symlinks to them.
# Whenever make finds the module out of date, every object is rebuilt: a
# build folder once kept an hv_blk.o five hours older than its source (through
# merges; kbuild judges the symlinked sources' times), and its tests ran a
# driver the tree no longer had.
LXMOD_DIR := $(BUILD)/linux/modules
LXMOD_KO  := $(LXMOD_DIR)/hv_pv.ko
LXMOD_C   := $(wildcard pv-drivers/linux/*.c) pv-drivers/pv_ring.c
$(LXMOD_KO): $(LXMOD_C) $(wildcard pv-drivers/linux/*.h pv-drivers/linux/include/*.h) \
		pv-drivers/linux/Kbuild pv-drivers/pv_ring.h pv-drivers/pv_os.h $(wildcard protocol/*.h) \
		scripts/linux/headers.sh $(TESTVM)
	$(Q)kdir=$$(scripts/linux/headers.sh) && mkdir -p $(LXMOD_DIR) && \
		rm -f $(LXMOD_DIR)/*.o && \
		ln -sf $(abspath $(LXMOD_C) pv-drivers/linux/Kbuild) $(LXMOD_DIR)/ && \
		$(MAKE) -s -C $$kdir M=$(abspath $(LXMOD_DIR)) HV_TREE=$(CURDIR) modules && touch $@
$(PEERS_IMG): $(LXMOD_KO)
.PHONY: modules
modules: $(LXMOD_KO)

$(BUILD)/tests/host-cpuloop: tests/integration/host-cpuloop.c guest-kernel/include/cpuloop.h $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)gcc $(CSTD) $(WARN) -O2 -Iguest-kernel/include -o $@ $<

# ---- unit tests: the hv sources with the system compiler and sanitizers -------------
# tests/lib: the harness shared by the unit tests and the loopback benchmark.
TL_SRCS   := $(wildcard tests/lib/*.c)
UT_SRCS   := $(wildcard tests/unit/*.c) $(TL_SRCS)
UT_CFLAGS := $(CSTD) -Wall -Wextra -Werror -O1 -g -D_GNU_SOURCE -fsanitize=address,undefined \
	     -fno-omit-frame-pointer -fno-sanitize-recover=all -Ihv -Iprotocol -Ipv-drivers \
	     -Itests/lib -idirafter guest-kernel/include -I$(HV_GEN)
# Guest code that is plain C and shared with host tools is tested here too.
UT_GUEST  := guest-kernel/sha256.c
UT_OBJS   := $(patsubst %.c,$(BUILD)/ut-obj/%.o,$(UT_SRCS) $(HV_LIB) $(PV_SRCS) $(UT_GUEST))

$(BUILD)/ut-obj/%.o: %.c $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (ASan, UBSan)")
	$(Q)gcc $(UT_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/unit-tests: $(UT_OBJS)
	@$(if $(Q),echo "  LD      $@ (CUnit)")
	$(Q)gcc $(UT_CFLAGS) -o $@ $(UT_OBJS) $(LIBURING_A) -lcunit -lpthread

# The same tests under ThreadSanitizer (make test runs both): races between
# hv's threads (vCPU, I/O) and the harness's guest threads fail the run.
# TSan does not model the rings' standalone fences (-Wtsan): they only order
# accesses that are atomic themselves, which TSan checks.
UT_TSAN_CFLAGS := $(filter-out -fsanitize=address$(COMMA)undefined,$(UT_CFLAGS)) \
		  -fsanitize=thread -Wno-tsan
UT_TSAN_OBJS   := $(patsubst $(BUILD)/ut-obj/%,$(BUILD)/ut-tsan-obj/%,$(UT_OBJS))

$(BUILD)/ut-tsan-obj/%.o: %.c $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (TSan)")
	$(Q)gcc $(UT_TSAN_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/unit-tests-tsan: $(UT_TSAN_OBJS)
	@$(if $(Q),echo "  LD      $@ (CUnit, TSan)")
	$(Q)gcc $(UT_TSAN_CFLAGS) -o $@ $(UT_TSAN_OBJS) $(LIBURING_A) -lcunit -lpthread

# ---- fuzz targets: libFuzzer (clang) with ASan and UBSan, on hv's real sources -------
# One binary per tests/fuzz/fuzz_<name>.c; hv's modules and the fake-VM harness
# (tests/fuzz/harness/) are built with coverage for the fuzzer, against glibc
# and liburing's static library.  tests/fuzz/run.sh runs them.
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))
FUZZ_CFLAGS  := $(CSTD) -Wall -Wextra -Werror -O1 -g -D_GNU_SOURCE -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all -Ihv -Iprotocol \
		-Itests/fuzz/harness -I$(HV_GEN)
FUZZ_LIB_OBJS := $(patsubst %.c,$(BUILD)/fuzz-obj/%.o,$(HV_LIB) $(wildcard tests/fuzz/harness/*.c))

$(BUILD)/fuzz-obj/%.o: %.c $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (libFuzzer, ASan, UBSan)")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPFLAGS) -c $< -o $@

$(FUZZ_BINS): $(BUILD)/fuzz/%: $(BUILD)/fuzz-obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@ (libFuzzer)")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBURING_A) -lpthread

# ---- benchmark tools: host-native baselines --------------------------------------
BENCH_TOOLS := $(BUILD)/bench/native-blkbench $(BUILD)/bench/native-cpubench \
	       $(BUILD)/bench/loopback-blkbench $(BUILD)/bench/net-rr
$(BUILD)/bench/native-blkbench: tests/bench/native-blkbench.c guest-kernel/include/blkworkloads.h \
		protocol/hv_blk.h $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)gcc $(CSTD) $(WARN) -O2 -Iguest-kernel/include -Iprotocol -o $@ $< $(LIBURING_A)

# UDP round trips: the client for every network path, the server of the native one.
$(BUILD)/bench/net-rr: tests/bench/net-rr.c $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)gcc $(CSTD) $(WARN) -O2 -o $@ $<

# hv's PV backend driven by the real guest driver on a host thread (no VM):
# the same sources as the unit tests, optimised, without sanitizers.
LB_CFLAGS := $(CSTD) $(WARN) -Wno-missing-prototypes -O2 -D_GNU_SOURCE -Ihv -Iprotocol \
	     -Ipv-drivers -Itests/lib -idirafter guest-kernel/include -I$(HV_GEN)
LB_OBJS   := $(patsubst %.c,$(BUILD)/lb-obj/%.o,tests/bench/loopback-blkbench.c $(TL_SRCS) \
	     $(HV_LIB) $(PV_SRCS))
$(BUILD)/lb-obj/%.o: %.c $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (loopback)")
	$(Q)gcc $(LB_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(BUILD)/bench/loopback-blkbench: $(LB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)gcc $(LB_CFLAGS) -o $@ $(LB_OBJS) $(LIBURING_A) -lpthread

# durwrite's records in FUA writes through hv's PV disk backend, no VM
# (tests/integration/durability.sh: hv's kernel sends no FUA).
HD_OBJS := $(patsubst %.c,$(BUILD)/lb-obj/%.o,tests/integration/host-durwrite.c $(TL_SRCS) \
	   $(HV_LIB) $(PV_SRCS) guest-kernel/sha256.c)
$(BUILD)/tests/host-durwrite: $(HD_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)gcc $(LB_CFLAGS) -o $@ $(HD_OBJS) $(LIBURING_A) -lpthread

# The CPU-bound kernel: sha256.c with the guest's own code-generation flags.
$(BUILD)/bench/native-cpubench: tests/bench/native-cpubench.c guest-kernel/sha256.c \
		guest-kernel/include/cpubench.h guest-kernel/include/sha256.h $(DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)gcc $(CSTD) $(WARN) -O2 -mno-red-zone -mgeneral-regs-only -Iguest-kernel/include \
		-c guest-kernel/sha256.c -o $(BUILD)/bench/sha256-guestflags.o
	$(Q)gcc $(CSTD) $(WARN) -O2 -Iguest-kernel/include -o $@ $< $(BUILD)/bench/sha256-guestflags.o

# ---- top-level targets ----------------------------------------------------------
.PHONY: all run test test-vm unit integration fuzz bench bench-boot bench-blk bench-2cpu bench-peers bench-linux bench-linux-batch peers clean
.DEFAULT_GOAL := all
all: $(BUILD)/hv $(BUILD)/guest-kernel.elf

run: all $(TESTVM)
	@scripts/hv-anywhere.sh run --timeout 30 $(BUILD)/guest-kernel.elf

unit: $(BUILD)/unit-tests $(BUILD)/unit-tests-tsan
	ASAN_OPTIONS=detect_leaks=1 $(BUILD)/unit-tests
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)/unit-tests-tsan

TEST_DEPS := $(BUILD)/unit-tests $(BUILD)/unit-tests-tsan all $(BUILD)/tests/host-cpuloop \
	     $(BUILD)/tests/hv-noflush $(BUILD)/tests/host-durwrite $(BENCH_TOOLS) $(PEERS_IMG) \
	     $(TESTVM) $(LINUX_IMG) $(FUZZ_BINS)

# The integration suite alone, on this machine's /dev/kvm (which must be VMX/SVM).
integration: all $(BUILD)/tests/host-cpuloop $(BUILD)/tests/hv-noflush $(BUILD)/tests/host-durwrite \
	     $(BENCH_TOOLS) $(PEERS_IMG) \
	     $(LINUX_IMG)
	tests/integration/run.sh

# Both suites run even if the first fails; the target fails if either did.
test: $(TEST_DEPS)
	@scripts/run-tests.sh

test-vm: $(TEST_DEPS)
	@HV_TEST_WHERE=vm scripts/run-tests.sh

# Boot time and RSS, in the test host VM and on this /dev/kvm if VMX/SVM (RUNS=N).
bench-boot: all
	@RUNS=$(RUNS) scripts/bench-boot.sh

# Every fuzz target for FUZZ_SECONDS (60) each, FUZZ_JOBS (2) at a time; figures
# into build/fuzz/results.json (README: scripts/readme-figures.py).
fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh --seconds $(or $(FUZZ_SECONDS),60) --jobs $(or $(FUZZ_JOBS),2) \
		--json $(BUILD)/fuzz/results.json

# Trap vs hypercall vs native, here on VMX/SVM or else in the test host VM
# (the longest target there, the peer rows included; QUICK=1 leaves them out).
# The peer rows (QEMU + Linux) need their guest image, except in the quick run.
bench: all $(BENCH_TOOLS) $(if $(filter 1,$(QUICK)),,$(PEERS_IMG))
	@QUICK=$(QUICK) scripts/bench.sh

# --trace (docs/TRACE.md): a PV disk workload's timeline drawn as build/trace/timeline.png,
# and what tracing costs (IOPS, exits and system calls per I/O) in build/trace/cost.json.
.PHONY: trace-png trace-cost
trace-png: all $(TESTVM)
	@mkdir -p $(BUILD)/trace && head -c 8388608 /dev/urandom >$(BUILD)/trace/timeline.img
	@scripts/hv-anywhere.sh run --mem 128M --timeout 60 --trace $(BUILD)/trace/timeline.json \
		--disk $(BUILD)/trace/timeline.img $(BUILD)/guest-kernel.elf -- blkbench pvblk0 --time 1 randread-4k-qd32
	@scripts/trace-png.py $(BUILD)/trace/timeline.json $(BUILD)/trace/timeline.png
trace-cost: all $(TESTVM)
	@scripts/testvm/run.sh -- scripts/trace-cost.py

# make bench restricted to native and pv, into build/bench/blk.json (BENCH_TIME=S).
bench-blk: all $(BENCH_TOOLS)
	@QUICK=$(QUICK) scripts/bench.sh --paths "native pv" --name blk $(if $(BENCH_TIME),--time $(BENCH_TIME))

# make bench-blk's rows and loopback-pv in a test host VM of two CPUs, where hv's vCPU
# and I/O threads run at once (TESTVM_CPUS=2): build/bench/twocpu.json.
bench-2cpu: all $(BENCH_TOOLS)
	@TESTVM_CPUS=2 QUICK=$(QUICK) scripts/bench.sh --paths "native loopback-pv pv" --name twocpu \
		$(if $(BENCH_TIME),--time $(BENCH_TIME)) $(if $(BENCH_REPS),--reps $(BENCH_REPS))

# The peer guest's image alone (make bench builds it too).
peers: $(PEERS_IMG)

# hv beside QEMU + Linux in one run: native, hv's pv and trap, QEMU with
# virtio and with emulated devices, disk and network, into build/bench/peers.json.
bench-peers: all $(BENCH_TOOLS) $(PEERS_IMG)
	@QUICK=$(QUICK) scripts/bench.sh --paths "native pv trap net hv-linux qemu-virtio qemu-emulated" --name peers \
		$(if $(BENCH_TIME),--time $(BENCH_TIME))

# The same Linux guest on hv's PV devices and on QEMU's virtio: build/bench/linux.json.
bench-linux: all $(BENCH_TOOLS) $(PEERS_IMG)
	@QUICK=$(QUICK) scripts/bench.sh --paths "hv-linux qemu-virtio" --name linux \
		$(if $(BENCH_TIME),--time $(BENCH_TIME))

# hv-linux as it is and under --io-batch, beside qemu-virtio: build/bench/linux-batch.json.
bench-linux-batch: all $(BENCH_TOOLS) $(PEERS_IMG)
	@QUICK=$(QUICK) scripts/bench.sh --paths "hv-linux hv-linux-batch qemu-virtio" --name linux-batch \
		$(if $(BENCH_TIME),--time $(BENCH_TIME)) $(if $(BENCH_REPS),--reps $(BENCH_REPS))

clean:
	rm -rf $(BUILD)

# Header dependencies recorded by -MMD (absent before the first build).
-include $(patsubst %.o,%.d,$(HV_OBJS) $(GK_OBJS) $(UT_OBJS) $(UT_TSAN_OBJS) $(LB_OBJS) \
	   $(FUZZ_LIB_OBJS) $(FUZZ_NAMES:%=$(BUILD)/fuzz-obj/tests/fuzz/fuzz_%.o))
