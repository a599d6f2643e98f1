/* The control API's socket and its thread: bounded, deadline-driven, one client at a time. */
#include "api/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/http.h"
#include "core/util.h"

static uint64_t now_ms(void)
{
	return mono_ns() / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Is a process answering on the socket at path? (Then it is not stale.) */
static bool socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live = fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;

	if (fd >= 0)
		close(fd);
	return live;
}

/* The directory part of path ("." for a bare name), opened O_PATH for the removal at exit. */
static int open_dir_of(const char *path, char *name, size_t cap)
{
	const char *slash = strrchr(path, '/');
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(name, cap, "%s", slash ? slash + 1 : path);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int api_server_open(struct api_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc;

	s->listen_fd = s->stop_fd = s->dir_fd = -1;
	s->api.sock_path = path;
	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return err_msg(-EINVAL, err, errlen, "--api-sock %s: a socket path is 1 to %zu bytes",
			       path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return err_msg(-EEXIST, err, errlen,
				       "--api-sock %s: exists and is not a socket (hv replaces only a "
				       "stale socket)", path);
		if (socket_live(&sa))
			return err_msg(-EADDRINUSE, err, errlen,
				       "--api-sock %s: another process answers on it", path);
		unlink(path); /* stale: its hv is gone */
	}
	s->name[0] = '\0';
	s->dir_fd = open_dir_of(path, s->name, sizeof(s->name));
	s->buf = malloc(HTTP_MAX_REQUEST);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->dir_fd < 0 || !s->buf || s->listen_fd < 0 || s->stop_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Owner-only from the start: no moment where another user could connect. */
	old = umask(0177);
	rc = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (rc)
		goto fail;
	if (fstatat(s->dir_fd, s->name, &st, AT_SYMLINK_NOFOLLOW) || chmod(path, 0600) ||
	    listen(s->listen_fd, 8)) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->dir_fd_val = (uint32_t)s->dir_fd;
	return 0;
fail:
	close_fd(&s->listen_fd);
	close_fd(&s->stop_fd);
	close_fd(&s->dir_fd);
	free(s->buf);
	s->buf = NULL;
	return err_msg(rc, err, errlen, "--api-sock %s: %s", path, strerror(-rc));
}

unsigned api_server_sandbox_rules(struct api_server *s, struct sandbox_rule rules[2])
{
	rules[0] = (struct sandbox_rule){ .nr = __NR_unlinkat, .test = SB_ARG_IN, .arg = 0,
					  .vals = &s->dir_fd_val, .nr_vals = 1 };
	rules[1] = (struct sandbox_rule){ .nr = __NR_newfstatat, .test = SB_ARG_IN, .arg = 0,
					  .vals = &s->dir_fd_val, .nr_vals = 1 };
	return 2;
}

/*
 * Waits until fd is ready for events or the deadline passes; 1 ready, 0
 * timed out or stopped (hv is ending), -1 on error.
 */
static int wait_fd(struct api_server *s, int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = events },
				       { .fd = s->stop_fd, .events = POLLIN } };
		uint64_t t = now_ms();
		int rc;

		if (t >= deadline)
			return 0;
		rc = poll(p, 2, (int)(deadline - t));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (p[1].revents)
			return 0;
		if (p[0].revents)
			return 1;
	}
}

/* The whole reply, or as much as the client takes before the deadline. */
static void send_all(struct api_server *s, int fd, const char *p, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(s, fd, POLLOUT, deadline) != 1)
				return;
			continue;
		}
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void send_reply(struct api_server *s, int fd, const struct api_reply *r, uint64_t deadline)
{
	char head[256];
	int n = http_reply_head(head, sizeof(head), r->status, r->content_type, r->len);

	if (n < 0)
		return;
	send_all(s, fd, head, (size_t)n, deadline);
	if (r->len)
		send_all(s, fd, r->body, r->len, deadline);
	/*
	 * Half-close, then take what the client still sends for a moment: a
	 * close with unread bytes resets the connection and can lose the reply
	 * (a refused body the client is still writing).
	 */
	shutdown(fd, SHUT_WR);
	deadline = now_ms() + 100 < deadline ? now_ms() + 100 : deadline;
	while (wait_fd(s, fd, POLLIN, deadline) == 1 && read(fd, s->buf, HTTP_MAX_REQUEST) > 0)
		;
}

/* One connection: read a request within the deadline, answer it, done. */
static void serve(struct api_server *s, int fd)
{
	uint64_t deadline = now_ms() + API_DEADLINE_MS;
	struct api_reply reply = { 0 };
	struct http_req req;
	size_t len = 0;
	int rc;

	for (;;) {
		ssize_t n;

		rc = http_parse(s->buf, len, &req);
		if (rc)
			break;
		rc = wait_fd(s, fd, POLLIN, deadline);
		if (rc < 0)
			return;
		if (rc == 0) { /* slow, or hv is ending: cut off */
			api_error(&reply, 408, "The request did not arrive within the deadline (2 s).");
			goto out;
		}
		n = read(fd, s->buf + len, HTTP_MAX_REQUEST - len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) /* the client left halfway: nothing to answer */
			return;
		len += (size_t)n;
	}
	if (rc < 0)
		api_error(&reply, req.status, req.error);
	else
		api_dispatch(&s->api, &req, &reply);
out:
	if (!reply.body && !reply.status)
		api_error(&reply, 500, "hv ran out of memory for the reply.");
	send_reply(s, fd, &reply, deadline);
	free(reply.body);
}

/* Removes the socket if it is still the one hv made (not a file someone put there since). */
static void remove_socket(struct api_server *s)
{
	struct stat st;

	if (s->dir_fd >= 0 && !fstatat(s->dir_fd, s->name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISSOCK(st.st_mode) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlinkat(s->dir_fd, s->name, 0);
}

static void *loop(void *arg)
{
	struct api_server *s = arg;

	if (s->on_start && s->on_start(s, s->on_start_arg)) {
		remove_socket(s);
		return NULL;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN },
				       { .fd = s->stop_fd, .events = POLLIN } };
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue; /* the client left before it was taken, or no fd: the next */
		serve(s, fd);
		close(fd);
	}
	/* Here, under the thread's own rules: the vCPU thread's may not remove files. */
	remove_socket(s);
	return NULL;
}

int api_server_start(struct api_server *s)
{
	int rc = thread_start(&s->thread, loop, s);

	if (rc)
		return rc;
	s->started = true;
	return 0;
}

void api_server_stop(struct api_server *s)
{
	uint64_t one = 1;

	if (s->listen_fd < 0)
		return;
	if (s->started) {
		if (write(s->stop_fd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only at its limit: it is signalled */
		}
		pthread_join(s->thread, NULL);
		s->started = false;
	} else {
		remove_socket(s); /* before the sandbox: setup failed */
	}
	close_fd(&s->listen_fd);
	close_fd(&s->stop_fd);
	close_fd(&s->dir_fd);
	free(s->buf);
	s->buf = NULL;
}
