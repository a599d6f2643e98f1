/*
 * Helpers shared by the unit tests: temporary disk images of known content,
 * checked byte for byte afterwards; a file-size limit that makes the host's
 * own writes come back short or fail (RLIMIT_FSIZE, the real kernel path);
 * and a time limit that turns a hang into a failure.
 */
#ifndef HV_TEST_UT_H
#define HV_TEST_UT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

#define UT_PATH_MAX 64

/* Polls cond (state another thread changes) for up to 5 s; its final value. */
#define EVENTUALLY(cond)                                         \
	({                                                       \
		for (int i_ = 0; !(cond) && i_ < 5000; i_++)     \
			usleep(1000);                            \
		(cond);                                          \
	})

/* Creates /tmp/hv-ut-XXXXXX holding bytes of data; its name goes to path. */
void ut_image_make(char path[UT_PATH_MAX], const void *data, size_t bytes);

/* The file is exactly bytes long and holds want. */
bool ut_file_is(const char *path, const void *want, size_t bytes);

/* While set, no file of this process grows past bytes (SIGXFSZ ignored). */
struct ut_fsize_limit {
	struct rlimit old;
	struct sigaction old_sig;
};
void ut_fsize_limit_set(struct ut_fsize_limit *l, uint64_t bytes);
void ut_fsize_limit_undo(const struct ut_fsize_limit *l);

/*
 * Runs fn(arg) on a thread and waits up to seconds for it to return.  If it
 * does not, unstick(arg) must make it return; it is joined either way.
 * False if it had to be unstuck (the caller reports the hang).
 */
bool ut_returns_within(void (*fn)(void *), void (*unstick)(void *), void *arg, int seconds);

struct iothread;
/* iothread_stop() that must return within 5 s: a test failure, not a stuck suite. */
void ut_iothread_stop(struct iothread *it);

struct vm;
struct device_kind;
/* A VM of mem bytes with one device of kind (its option argument arg), I/O thread started. */
struct vm *ut_vm_with(uint64_t mem, const struct device_kind *kind, const char *arg);
/* The same as hv with a control API (--api-sock) makes it: latency histograms kept. */
struct vm *ut_vm_with_api(uint64_t mem, const struct device_kind *kind, const char *arg);
void ut_vm_free(struct vm *vm);

/* One command register of a trap device, and the status and interrupt it drives. */
struct io_bus;
struct ut_trap_cmd {
	struct io_bus *mmio;
	uint64_t base;              /* the device's window */
	uint64_t cmd, cmd_val;      /* writing cmd_val to cmd starts a command */
	uint64_t status, isr;       /* register offsets */
	uint32_t busy, done;        /* STATUS's busy bit, this command's ISR bit */
	int irq_fd;                 /* the device's interrupt (irqfd) eventfd */
	pthread_t io;               /* the I/O thread that finishes its commands */
};

/* What a guest polling STATUS saw over a run of commands: all zero but cmds, irqs. */
struct ut_trap_race {
	unsigned cmds;
	unsigned stale_done; /* ISR's bit set while the new command was still busy */
	unsigned no_done;    /* STATUS done, ISR's bit not (yet) set */
	unsigned late_irq;   /* STATUS done, its interrupt not (yet) raised */
	uint64_t irqs;       /* interrupts in all: one per command */
};

/*
 * Runs n commands (IER must enable the interrupt) as a guest that polls
 * STATUS and starts the next command the moment it reads done: a command's
 * ISR bit and interrupt must come with its STATUS, never after it, where
 * they would land during the next command.  Asserts that; returns the counts.
 * The "guest" and the I/O thread run on two different CPUs where there are
 * two, so they really race.
 */
struct ut_trap_race ut_trap_race(const struct ut_trap_cmd *c, unsigned n);
#define UT_TRAP_RACE_CMDS 2000 /* before the fix, 30 to 220 in 1000 went wrong */

#endif
