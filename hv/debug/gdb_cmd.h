/*
 * The GDB remote protocol's commands: one packet in, one reply out, from a
 * table of handlers, over a target reached through four operations (the
 * vCPU's registers, guest memory by virtual address).  Breakpoints and
 * watchpoints are bookkeeping here; the stub turns them into
 * KVM_SET_GUEST_DEBUG (gdb_debug_regs) when the guest resumes.  Every
 * packet is hostile input: each field is bounds-checked and a malformed
 * one is answered with an error, never acted on.
 */
#ifndef HV_GDB_CMD_H
#define HV_GDB_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug/gdb_packet.h"
#include "debug/gdb_regs.h"

struct gdb_target_ops {
	int (*get_cpu)(void *t, struct gdb_cpu *c);
	int (*set_cpu)(void *t, const struct gdb_cpu *c);
	/* Guest-virtual addresses as the vCPU translates them now; 0 or -EFAULT. */
	int (*read_mem)(void *t, uint64_t gva, void *buf, size_t len);
	int (*write_mem)(void *t, uint64_t gva, const void *buf, size_t len);
};

#define GDB_MAX_SWBP 64
#define GDB_NR_HWBP 4 /* DR0..DR3, shared by hardware breakpoints and watchpoints */
#define GDB_MEM_MAX (GDB_PKT_MAX / 2) /* bytes of one 'm' or 'M' */

/* Z/z types: 0 software, 1 hardware breakpoint, 2 write, 3 read, 4 access watchpoint. */
enum gdb_bp_type { GDB_SWBP = 0, GDB_HWBP, GDB_WP_WRITE, GDB_WP_READ, GDB_WP_ACCESS };

struct gdb_swbp {
	uint64_t addr;
	uint8_t orig; /* the byte int3 replaced */
	bool used;
};

struct gdb_hwbp {
	uint64_t addr;
	uint8_t type, len;
	bool used;
};

/* What the stub does after sending the reply (if any). */
enum gdb_action {
	GDB_ACT_REPLY = 0, /* send the reply, stay stopped */
	GDB_ACT_CONTINUE,  /* no reply now: resume; the stop reply comes later */
	GDB_ACT_STEP,      /* the same, one instruction */
	GDB_ACT_DETACH,    /* send "OK", drop breakpoints, resume, close */
	GDB_ACT_KILL,      /* send the reply if any, end the VM */
};

struct gdb_session {
	const struct gdb_target_ops *ops;
	void *target;
	struct gdb_swbp sw[GDB_MAX_SWBP];
	struct gdb_hwbp hw[GDB_NR_HWBP];
	bool no_ack;        /* QStartNoAckMode: no '+' either way */
	char stop[80];      /* the last stop reply, for '?' */
	int xml_len;
	char xml[GDB_XML_MAX];
};

/* A session over ops; it starts stopped (SIGTRAP).  0 or -ENOSPC (the description). */
int gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *target);

/*
 * Handles one packet (len bytes at pkt, no framing).  The reply's data goes
 * to reply (GDB_PKT_MAX + 1 bytes), its length to *rlen; an unknown packet
 * gets the empty reply, as the protocol asks.
 */
enum gdb_action gdb_cmd(struct gdb_session *s, const char *pkt, size_t len, char *reply,
			size_t *rlen);

/* Why the vCPU stopped, as KVM's debug exit says it (exception 1 or 3, dr6). */
struct gdb_stop {
	int signal;       /* 5 (SIGTRAP) or 2 (SIGINT, Ctrl-C) */
	unsigned exception;
	uint64_t dr6;
};

/* Records and formats the stop reply ("T05..."); its length. */
size_t gdb_stop_reply(struct gdb_session *s, const struct gdb_stop *st, char *reply);

/* Whether a software breakpoint of this session is at addr. */
bool gdb_swbp_at(const struct gdb_session *s, uint64_t addr);

/* DR0..DR3 and DR7 (dr[7]) for KVM_SET_GUEST_DEBUG; true if any is in use. */
bool gdb_debug_regs(const struct gdb_session *s, uint64_t dr[8]);

/* Removes every software breakpoint from guest memory and forgets the hardware ones. */
void gdb_session_release(struct gdb_session *s);

#endif
