/*
 * The console's input: hv's standard input reaches the guest through the
 * device that takes it (the UART), on a thread of its own.
 *  - On a terminal, the terminal is raw while the guest runs (restored on
 *    every way hv ends: console_in_stop, exit(), SIGTERM/SIGHUP/SIGQUIT), so
 *    keys such as Ctrl-C go to the guest; Ctrl-A x quits hv (status 0), and
 *    Ctrl-A Ctrl-A sends one Ctrl-A.
 *  - Piped input is never dropped: the thread reads only as much as the
 *    device takes, and waits for room while its FIFO is full.
 *  - At EOF hv stops reading: the guest sees no more input and runs on.
 */
#ifndef HV_CONSOLE_IN_H
#define HV_CONSOLE_IN_H

#include <pthread.h>
#include <stdbool.h>

struct vm;

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */
#define CONSOLE_QUIT 'x'

struct console_in {
	struct vm *vm;
	int fd;        /* standard input */
	int stop_fd;   /* eventfd: console_in_stop */
	bool tty, started;
	bool escape;   /* the last key was the escape */
	int parked;    /* set by the thread once it no longer touches the VM */
	pthread_t tid;
	int (*on_start)(void *arg); /* runs first on the thread (the sandbox); nonzero ends it */
	void *on_start_arg;
	void (*on_quit)(void *arg); /* the quit keys: hv stops the VM (vcpu_request_stop) */
	void *on_quit_arg;
};

/*
 * Prepares to feed fd to vm's console (raw mode if fd is a terminal).  0 or
 * -errno; nothing to do (0) when no device takes input.
 */
int console_in_init(struct console_in *ci, struct vm *vm, int fd);

/* Starts the thread; 0 or -errno. */
int console_in_start(struct console_in *ci);

/*
 * Stops the thread feeding the guest and waits until it parked (it then
 * touches no device), restores the terminal.  Idempotent.
 */
void console_in_stop(struct console_in *ci);

/*
 * The quit-key filter, one byte at a time: returns true if c is for the
 * guest (in *out), sets *quit on Ctrl-A x.  Exposed for the unit tests.
 */
bool console_in_key(struct console_in *ci, char c, char *out, bool *quit);

#endif
