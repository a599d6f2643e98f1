/* hv's standard input to the guest's console device (see console_in.h). */
#include "core/console_in.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "core/vcpu.h"
#include "core/vm.h"
#include "sandbox/sandbox.h"

/*
 * The terminal's settings before raw mode: restored from atexit and from
 * signal handlers (a fatal signal, a sandbox stop), which can be handed no
 * pointer, so they live here.
 */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_tty(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = 0;
	}
}

static void on_fatal_signal(int sig)
{
	restore_tty();
	_exit(128 + sig); /* as the signal's default would report it, and allowed by the sandbox */
}

static int raw_mode(int fd)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGQUIT };
	struct termios t;
	unsigned i;

	if (tcgetattr(fd, &saved_tio) < 0)
		return -errno;
	t = saved_tio;
	cfmakeraw(&t);
	t.c_oflag |= OPOST | ONLCR; /* the guest's "\n" still starts a line */
	tio_saved = 1;
	atexit(restore_tty);
	sandbox_at_stop(restore_tty); /* a sandbox stop skips atexit */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_fatal_signal);
	return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

bool console_in_key(struct console_in *ci, char c, char *out, bool *quit)
{
	if (!ci->tty) { /* piped bytes pass verbatim */
		*out = c;
		return true;
	}
	if (ci->escape) {
		ci->escape = false;
		if (c == CONSOLE_QUIT) {
			*quit = true;
			return false;
		}
		*out = c; /* Ctrl-A Ctrl-A: one Ctrl-A; Ctrl-A anything else: that key */
		return true;
	}
	if (c == CONSOLE_ESCAPE) {
		ci->escape = true;
		return false;
	}
	*out = c;
	return true;
}

/* Waits until fd is readable or stop is signalled; false on stop. */
static bool wait_for(struct console_in *ci, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = ci->stop_fd, .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[1].revents)
			return false;
		if (p[0].revents)
			return true;
	}
}

/* Hands n bytes to the device, waiting for room as long as it takes. */
static bool deliver(struct console_in *ci, const char *buf, unsigned n)
{
	struct console *c = &ci->vm->console;
	uint64_t cnt;

	while (n) {
		unsigned took = c->rx(c->rx_opaque, buf, n);
		buf += took;
		n -= took;
		if (!n)
			break;
		if (!wait_for(ci, c->rx_room_fd))
			return false;
		if (read(c->rx_room_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			return false;
	}
	return true;
}

static void *thread_main(void *arg)
{
	struct console_in *ci = arg;
	char buf[UINT8_MAX], out[UINT8_MAX];

	if (ci->on_start && ci->on_start(ci->on_start_arg)) {
		__atomic_store_n(&ci->parked, 1, __ATOMIC_RELEASE);
		return NULL; /* unconfined (its filter failed): it may end */
	}
	while (wait_for(ci, ci->fd)) {
		ssize_t r = read(ci->fd, buf, sizeof(buf));
		unsigned i, n = 0;
		bool quit = false;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* EOF (or a broken input): the guest gets no more */
		for (i = 0; i < (unsigned)r; i++)
			if (console_in_key(ci, buf[i], &out[n], &quit))
				n++;
		if (!deliver(ci, out, n))
			break;
		if (quit) {
			if (ci->on_quit)
				ci->on_quit(ci->on_quit_arg);
			break;
		}
	}
	/*
	 * Parked, never returning: a thread's end needs calls (rt_sigprocmask,
	 * exit) its sandbox filter does not allow; hv's exit ends it.  Once
	 * parked it touches nothing of the VM, so the devices may go.
	 */
	__atomic_store_n(&ci->parked, 1, __ATOMIC_RELEASE);
	for (;;)
		poll(NULL, 0, -1);
	return NULL;
}

int console_in_init(struct console_in *ci, struct vm *vm, int fd)
{
	memset(ci, 0, sizeof(*ci));
	ci->vm = vm;
	ci->fd = fd;
	ci->stop_fd = -1;
	if (!vm->console.rx)
		return 0;
	ci->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (ci->stop_fd < 0)
		return -errno;
	ci->tty = isatty(fd);
	return ci->tty ? raw_mode(fd) : 0;
}

int console_in_start(struct console_in *ci)
{
	sigset_t old;
	int rc;

	if (ci->stop_fd < 0)
		return 0;
	vcpu_signals_block(&old);
	rc = -pthread_create(&ci->tid, NULL, thread_main, ci);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ci->started = !rc;
	return rc;
}

void console_in_stop(struct console_in *ci)
{
	uint64_t one = 1;

	/* The thread stops feeding the guest and parks (thread_main); hv's exit ends it. */
	if (ci->started && write(ci->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail on a fresh eventfd */
	}
	/* It waits on stop_fd wherever it blocks (input, room), so this is short. */
	while (ci->started && !__atomic_load_n(&ci->parked, __ATOMIC_ACQUIRE))
		poll(NULL, 0, 1);
	ci->started = false;
	restore_tty();
}
