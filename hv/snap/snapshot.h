/*
 * Snapshot and restore of a VM (docs/SNAPSHOT.md): what goes in the state
 * file (snapfile.h is the container) and in what order it is read and
 * written, and the guest's RAM in its own file, PATH.mem, which restore
 * maps privately and lazily (it is never written).  Disk contents are not
 * in a snapshot: a restore runs on the images as they are then.
 */
#ifndef HV_SNAPSHOT_H
#define HV_SNAPSHOT_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_abi.h"
#include "snap/snapfile.h"

struct vm;
struct kvm_vm;

/* Section types beyond the KVM pieces (enum kvm_state_id, 1 to 16). */
enum {
	SNAP_SEC_VM = 0x100,     /* struct snap_vm_rec */
	SNAP_SEC_DEVICE = 0x101, /* inst: the device's table index; struct snap_dev_rec + its record */
	SNAP_SEC_PLATFORM = 0x103, /* SNAP_PLATFORM_PC only: struct legacy_rec (x86/legacy.h) */
	SNAP_SEC_ORIGIN = 0x104, /* struct snap_origin_hdr + the kernel, initrd, cmdline strings */
};

/* What the guest runs on (the VM record's platform): decides the ports and the run loop. */
enum {
	SNAP_PLATFORM_HV = 0, /* hv's own kernel: hypercalls, no legacy ports */
	SNAP_PLATFORM_PC = 1, /* Linux: the PC's legacy ports, the poweroff watch, console input */
};

#define SNAP_MEM_SUFFIX ".mem"
#define SNAP_DEV_REC_MAX 1024 /* bytes of one device's own record */

struct snap_vm_rec {
	uint64_t mem_size;  /* bytes of RAM, PATH.mem's size */
	uint64_t mem_low;   /* bytes below the PC hole (guest_mem.h) */
	uint32_t nr_dev;    /* SNAP_SEC_DEVICE sections, 0 .. nr_dev - 1 */
	uint32_t nr_notify_ports;
	uint64_t mmio_next;
	uint32_t platform;  /* SNAP_PLATFORM_* */
	uint32_t pci_addr;  /* the PCI address register (0xCF8) as the guest last wrote it */
};

/*
 * What the VM was booted from, for GET /vm after a restore: the lengths of
 * three strings (no NUL) that follow, each below SNAP_ORIGIN_MAX.
 */
#define SNAP_ORIGIN_MAX 4096
struct snap_origin_hdr {
	uint32_t kernel_len, initrd_len, cmdline_len, reserved;
};

/* The same, as hv keeps it: NUL-terminated ("" for no initrd). */
struct snap_origin {
	char kernel[SNAP_ORIGIN_MAX], initrd[SNAP_ORIGIN_MAX], cmdline[SNAP_ORIGIN_MAX];
};

struct snap_dev_rec {
	char kind[16];            /* the kind's name, "pvblk" */
	uint32_t index;           /* pvblk<index> */
	uint32_t rec_len;         /* bytes of the kind's record after this */
	struct hv_dev_desc desc;  /* what the guest enumerated */
};

/* The file's layout (docs/SNAPSHOT.md): these sizes are part of format version 3. */
_Static_assert(sizeof(struct snap_vm_rec) == 40, "snapshot VM record layout");
_Static_assert(sizeof(struct snap_origin_hdr) == 16, "snapshot origin record layout");
_Static_assert(sizeof(struct snap_dev_rec) == 80, "snapshot device record layout");

/* How snap_out_open opens both files (openat): the one way the API thread may open. */
#define SNAP_OPEN_FLAGS (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)

/* The two files of a snapshot being written. */
struct snap_out {
	int state_fd, mem_fd;
};

/* Creates (truncates) PATH and PATH.mem, owner-only.  0, or -errno and one line in err. */
int snap_out_open(struct snap_out *o, const char *path, char *err, size_t errlen);
void snap_out_close(struct snap_out *o);

/*
 * Writes the snapshot of a VM whose vCPU is out of KVM_RUN (after one that
 * returned EINTR, so pending port and MMIO completions are in) and whose
 * I/O thread is quiesced (or stopped) with every request drained.  The order of reads is
 * KVM's (snapshot.c).  origin: what the VM was booted from (recorded for
 * GET /vm after a restore).  0, or -errno and one line in err.
 */
int snap_create(struct vm *vm, struct kvm_vm *k, const struct snap_out *o,
		const struct snap_origin *origin, char *err, size_t errlen);

/*
 * The machine's own sections: each device's (its kind's save), the
 * platform's ports (a Linux guest) and the VM record; every kind must have
 * save.  0, or -errno and one line in err.
 */
int snap_add_machine(struct snap_writer *w, const struct vm *vm, char *err, size_t errlen);

/* The origin section for o; 0 or the writer's error. */
int snap_add_origin(struct snap_writer *w, const struct snap_origin *o);

/*
 * The snapshot's origin section in o; 0, or -EINVAL (no section, or a bad
 * one).  A state file without one is refused by snap_in_open.
 */
int snap_read_origin(const struct snap_reader *r, struct snap_origin *o);

/* A snapshot being restored: the checked state file and the RAM file. */
struct snap_in {
	uint8_t *file;
	size_t len;
	struct snap_reader r;
	struct snap_vm_rec vm;
	struct snap_origin *origin; /* snap_in_open read it */
	int mem_fd;
};

/*
 * Reads and checks PATH (all of it: a truncated, corrupted, other-version
 * or foreign file is refused) and opens PATH.mem, checking its size.  0, or
 * -errno and one line in err (hv exits 2).
 */
int snap_in_open(struct snap_in *s, const char *path, char *err, size_t errlen);
void snap_in_close(struct snap_in *s);

/* Maps PATH.mem as the guest's RAM: private (never written back), faulted in lazily. */
int snap_map_memory(const struct snap_in *s, struct vm *vm, char *err, size_t errlen);

/*
 * The devices made from this command line against the snapshot's: the
 * same kinds, in the same order, that the guest would see the same (the
 * descriptor: capacity, read-only, MAC, ports).  0, or -EINVAL and one line.
 */
int snap_check_devices(const struct snap_in *s, const struct vm *vm, char *err, size_t errlen);

/* The VM's and vCPU's KVM state, in KVM's order (snapshot.c); 0, or -errno and err. */
int snap_restore_kvm(const struct snap_in *s, struct kvm_vm *k, char *err, size_t errlen);

/*
 * Once the devices are wired into KVM: the platform (a Linux guest's legacy
 * ports, added here as its boot would, with their record), the PCI bus,
 * each device's record (queues attach again), and vm->origin.
 */
int snap_restore_devices(const struct snap_in *s, struct vm *vm, char *err, size_t errlen);

#endif
