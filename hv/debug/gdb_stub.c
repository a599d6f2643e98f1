/* The gdb stub's thread: the connection, the stop/resume cycle, Ctrl-C. */
#include "debug/gdb_stub.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "debug/gdb_vcpu.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int gdb_stub_open(struct gdb_stub *g, const char *spec, char *err, size_t errlen)
{
	struct pollfd p;
	char where[160];
	int rc;

	g->listen_fd = g->conn_fd = g->event_fd = g->end_fd = -1;
	rc = gdb_addr_parse(spec, &g->addr, err, errlen);
	if (rc)
		return rc;
	g->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->end_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->event_fd < 0 || g->end_fd < 0)
		return err_msg(-errno, err, errlen, "--gdb: eventfd: %s", strerror(errno));
	g->listen_fd = gdb_listen(&g->addr, err, errlen);
	if (g->listen_fd < 0)
		return g->listen_fd;
	gdb_addr_describe(&g->addr, where, sizeof(where));
	fprintf(stderr, "hv: gdb: waiting for gdb on %s (target remote %s)\n", where,
		g->addr.is_unix ? g->addr.path : where);
	p = (struct pollfd){ .fd = g->listen_fd, .events = POLLIN };
	for (;;) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		g->conn_fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (g->conn_fd >= 0 || (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED))
			break;
	}
	if (g->conn_fd < 0)
		return err_msg(-errno, err, errlen, "--gdb %s: accept: %s", where, strerror(errno));
	if (g->addr.is_unix) { /* one gdb per unix socket: nothing is left behind */
		unlink(g->addr.path);
		close_fd(&g->listen_fd);
	}
	return 0;
}

/* Writes it all, or gives up (gdb went away: the read side sees it). */
static void send_raw(struct gdb_stub *g, const char *b, size_t n)
{
	while (n && g->conn_fd >= 0) {
		ssize_t w = send(g->conn_fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

static void send_packet(struct gdb_stub *g, const char *data, size_t len)
{
	int n = gdb_frame_encode(data, len, g->last, sizeof(g->last));

	if (n < 0)
		return; /* cannot happen: last has room for a full packet escaped */
	g->last_len = (size_t)n;
	send_raw(g, g->last, g->last_len);
}

/* On the vCPU thread, at a KVM_EXIT_DEBUG: what happened, then the word to the stub. */
static void on_debug(void *arg, struct vcpu *v)
{
	struct gdb_stub *g = arg;
	uint64_t one = 1;

	g->stop = (struct gdb_stop){ 5, v->kvm->run->debug.arch.exception,
				     v->kvm->run->debug.arch.dr6 };
	if (write(g->event_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only at its limit: it is signalled */
	}
}

static bool take_event(int fd)
{
	uint64_t n;

	return read(fd, &n, sizeof(n)) == sizeof(n);
}

/*
 * The guest stopped: gdb's stop reply.  After int3 KVM may leave rip past
 * the breakpoint (as the CPU does) or on it; gdb is told the breakpoint's
 * address ("swbreak" means the stub has adjusted it).
 */
static void report_stop(struct gdb_stub *g, const struct gdb_stop *st)
{
	size_t n;

	g->running = false;
	if (st->exception == 3) {
		struct gdb_cpu c;

		if (!gdb_vcpu_ops.get_cpu(g->v, &c) && !gdb_swbp_at(&g->s, c.r.rip) &&
		    gdb_swbp_at(&g->s, c.r.rip - 1)) {
			c.r.rip--;
			gdb_vcpu_ops.set_cpu(g->v, &c);
		}
	}
	n = gdb_stop_reply(&g->s, st, g->reply);
	send_packet(g, g->reply, n);
}

static bool any_swbp(const struct gdb_session *s)
{
	unsigned i;

	for (i = 0; i < GDB_MAX_SWBP; i++)
		if (s->sw[i].used)
			return true;
	return false;
}

/* Continue or step: the debug state for the run, then the vCPU unparked. */
static int resume(struct gdb_stub *g, bool step)
{
	uint64_t dr[8];
	bool hw = gdb_debug_regs(&g->s, dr);
	int rc = gdb_vcpu_set_debug(g->v, any_swbp(&g->s), hw ? dr : NULL, step);

	if (rc)
		return rc;
	take_event(g->event_fd); /* a stale word must not end this run at once */
	g->running = true;
	rc = vcpu_resume(g->v, VCPU_BY_GDB);
	if (rc)
		g->running = false;
	return rc;
}

/* Ctrl-C: the kick; a debug exit racing it reports itself (event_fd) instead. */
static void interrupt(struct gdb_stub *g)
{
	static const struct gdb_stop sigint = { 2, 0, 0 };
	int rc = vcpu_pause(g->v, GDB_VCPU_WAIT_MS, VCPU_BY_GDB);

	if (rc)
		return; /* -EBUSY: a debug exit is parking it; -ESRCH: the VM ends */
	report_stop(g, take_event(g->event_fd) ? &g->stop : &sigint);
}

/*
 * gdb is gone (detach, disconnect): no breakpoint stays in the guest, no
 * debug state in KVM, and the guest runs on.
 */
static void release(struct gdb_stub *g)
{
	int rc = 0;

	if (g->running)
		rc = vcpu_pause(g->v, GDB_VCPU_WAIT_MS, VCPU_BY_GDB);
	if (rc && rc != -EBUSY)
		return; /* the VM is ending */
	gdb_session_release(&g->s);
	gdb_vcpu_set_debug(g->v, false, NULL, false);
	g->running = false;
	vcpu_resume(g->v, VCPU_BY_GDB);
}

enum { GO_ON = 0, DONE };

static int packet(struct gdb_stub *g)
{
	enum gdb_action act;
	size_t n;
	int rc;

	if (!g->s.no_ack)
		send_raw(g, "+", 1);
	if (g->running)
		return GO_ON; /* all-stop: nothing but Ctrl-C while the guest runs */
	act = gdb_cmd(&g->s, g->fr.data, g->fr.len, g->reply, &n);
	switch (act) {
	case GDB_ACT_CONTINUE:
	case GDB_ACT_STEP:
		rc = resume(g, act == GDB_ACT_STEP);
		if (rc) {
			n = (size_t)snprintf(g->reply, sizeof(g->reply), "E%02x", -rc & 0xff);
			send_packet(g, g->reply, n);
		}
		return GO_ON;
	case GDB_ACT_DETACH:
		send_packet(g, g->reply, n);
		release(g);
		return DONE;
	case GDB_ACT_KILL:
		if (n)
			send_packet(g, g->reply, n);
		vcpu_request_stop(g->v, RUN_KILLED);
		return DONE;
	default:
		send_packet(g, g->reply, n);
		return GO_ON;
	}
}

static int byte(struct gdb_stub *g, uint8_t c)
{
	switch (gdb_frame_feed(&g->fr, c)) {
	case GDB_FR_PACKET:
		return packet(g);
	case GDB_FR_INTR:
		if (g->running)
			interrupt(g);
		return GO_ON;
	case GDB_FR_BAD:
		if (!g->s.no_ack)
			send_raw(g, "-", 1);
		return GO_ON;
	case GDB_FR_NAK:
		send_raw(g, g->last, g->last_len);
		return GO_ON;
	default:
		return GO_ON;
	}
}

/* The VM ended while gdb was connected: "W" and the guest's status. */
static void send_exit(struct gdb_stub *g)
{
	size_t n = (size_t)snprintf(g->reply, sizeof(g->reply), "W%02x",
				    (unsigned)g->exit_status & 0xff);

	send_packet(g, g->reply, n);
}

/* One gdb connection, to its end; true if the VM ended. */
static bool serve(struct gdb_stub *g)
{
	uint8_t buf[4096];
	int rc;

	gdb_frame_init(&g->fr);
	if (gdb_session_init(&g->s, &gdb_vcpu_ops, g->v))
		return false;
	g->last_len = 0;
	/* gdb finds the guest stopped: held before its first instruction, or paused now. */
	rc = vcpu_pause(g->v, GDB_VCPU_WAIT_MS, VCPU_BY_GDB);
	if (rc && rc != -EBUSY)
		return true;
	take_event(g->event_fd);
	g->running = false;
	for (;;) {
		struct pollfd p[3] = { { .fd = g->conn_fd, .events = POLLIN },
				       { .fd = g->end_fd, .events = POLLIN },
				       { .fd = g->running ? g->event_fd : -1, .events = POLLIN } };
		ssize_t n, i;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			release(g);
			return false;
		}
		if (p[1].revents) {
			send_exit(g);
			return true;
		}
		if (p[2].revents && take_event(g->event_fd))
			report_stop(g, &g->stop);
		if (!p[0].revents)
			continue;
		n = read(g->conn_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* gdb went away */
			release(g);
			return false;
		}
		for (i = 0; i < n; i++)
			if (byte(g, buf[i]) == DONE)
				return false;
	}
}

static void *loop(void *arg)
{
	struct gdb_stub *g = arg;

	if (g->on_start && g->on_start(g->on_start_arg)) {
		vcpu_request_stop(g->v, RUN_KILLED);
		return NULL;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = g->listen_fd, .events = POLLIN },
				       { .fd = g->end_fd, .events = POLLIN } };

		if (serve(g))
			break;
		close_fd(&g->conn_fd);
		if (g->listen_fd < 0)
			break; /* a unix socket serves one gdb */
		/* Over TCP another gdb may come; the guest runs meanwhile. */
		while (g->conn_fd < 0) {
			if (poll(p, 2, -1) < 0 && errno != EINTR)
				return NULL;
			if (p[1].revents)
				return NULL;
			if (p[0].revents)
				g->conn_fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		}
	}
	close_fd(&g->conn_fd);
	return NULL;
}

int gdb_stub_start(struct gdb_stub *g, struct vcpu *v)
{
	int rc;

	g->v = v;
	v->on_debug = on_debug;
	v->debug_arg = g;
	vcpu_hold(v);
	rc = thread_start(&g->thread, loop, g);
	if (rc)
		return rc;
	g->started = true;
	return 0;
}

void gdb_stub_end(struct gdb_stub *g, int status)
{
	uint64_t one = 1;

	if (g->started) {
		g->exit_status = status;
		if (write(g->end_fd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only at its limit: it is signalled */
		}
		pthread_join(g->thread, NULL);
		g->started = false;
	}
	close_fd(&g->conn_fd);
	close_fd(&g->listen_fd);
	close_fd(&g->event_fd);
	close_fd(&g->end_fd);
}
