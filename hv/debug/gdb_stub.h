/*
 * The gdb stub (--gdb): hv waits for gdb before the guest's first
 * instruction, then a thread of its own serves the GDB remote protocol on
 * the connection.  While gdb has the guest stopped the vCPU is parked and
 * runs the stub's requests on its own thread (vcpu_call); gdb's Ctrl-C is
 * vcpu_pause, hv's one vCPU kick.  A gdb that detaches or disconnects
 * leaves the guest running, breakpoints removed; over TCP another may
 * connect later.
 */
#ifndef HV_GDB_STUB_H
#define HV_GDB_STUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/vcpu.h"
#include "debug/gdb_cmd.h"
#include "debug/gdb_packet.h"
#include "debug/gdb_sock.h"

struct gdb_stub {
	struct gdb_addr addr;
	int listen_fd, conn_fd;
	int event_fd; /* the vCPU thread's word: it stopped at a debug exit */
	int end_fd;   /* the VM ended: exit_status is set */
	struct vcpu *v;
	pthread_t thread;
	bool started;
	bool running;     /* the guest runs under gdb's continue or step */
	int exit_status;  /* written before end_fd */
	struct gdb_stop stop; /* written by the vCPU thread before event_fd */
	/* First thing on the stub's thread (the sandbox); nonzero: it ends the VM. */
	int (*on_start)(void *arg);
	void *on_start_arg;
	struct gdb_session s;
	struct gdb_framer fr;
	size_t last_len; /* the last reply, framed, resent on '-' */
	char last[2 * GDB_PKT_MAX + 8];
	char reply[GDB_PKT_MAX + 1];
};

/*
 * Before the sandbox: listens where spec says and waits for gdb to connect
 * (a unix socket's path is removed once it has: no stale socket is left).
 * 0, or -errno with a one-line reason in err.
 */
int gdb_stub_open(struct gdb_stub *g, const char *spec, char *err, size_t errlen);

/*
 * On the vCPU thread, after vcpu_prepare_stop: the vCPU will park before
 * the first instruction, and the stub's thread starts.  0 or -errno.
 */
int gdb_stub_start(struct gdb_stub *g, struct vcpu *v);

/* After vcpu_run: gdb is told the guest exited with status, the thread ends, fds close. */
void gdb_stub_end(struct gdb_stub *g, int status);

#endif
