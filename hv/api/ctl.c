/* hv ctl: one HTTP request over the Unix socket, its reply printed. */
#include "api/ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cjson/cJSON.h"
#include "core/util.h"

static const struct {
	const char *name;
	const char *method, *target, *body;
	bool path; /* takes PATH: the body is {"path": PATH} */
} commands[] = {
	{ "vm", "GET", "/vm", NULL, false },
	{ "snapshot", "PUT", "/snapshot/create", NULL, true },
	{ "pause", "PUT", "/actions", "{\"action_type\":\"pause\"}", false },
	{ "resume", "PUT", "/actions", "{\"action_type\":\"resume\"}", false },
	{ "shutdown", "PUT", "/actions", "{\"action_type\":\"shutdown\"}", false },
	{ "metrics", "GET", "/metrics?format=prometheus", NULL, false },
	{ "metrics-json", "GET", "/metrics?format=json", NULL, false },
};

/* The largest reply hv ctl takes (metrics of many devices fit). */
#define CTL_MAX_REPLY (4u << 20)

static int connect_to(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, sock, strlen(sock));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Reads until the server closes (it always does), within CTL_TIMEOUT_MS per read. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1), *p;

	while (buf) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pf, 1, CTL_TIMEOUT_MS) <= 0)
			break;
		if (n == cap) {
			if (cap >= CTL_MAX_REPLY)
				break;
			p = realloc(buf, cap * 2 + 1);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	return NULL;
}

/* {"path": PATH}, escaped as JSON wants; NULL without memory. */
static char *path_body(const char *path)
{
	cJSON *o = cJSON_CreateObject();
	char *s = o && cJSON_AddStringToObject(o, "path", path) ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

int api_ctl(const char *sock, const char *command, const char *arg, FILE *out, FILE *err)
{
	char req[512 + CTL_MAX_ARG], *reply, *body, *path = NULL;
	const char *content;
	size_t i, len = 0;
	int fd, n, status;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(command, commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands)) {
		fprintf(err, "hv ctl: unknown command '%s' (vm, snapshot PATH, pause, resume, shutdown, "
			     "metrics, metrics-json)\n", command);
		return 2;
	}
	if (commands[i].path != (arg != NULL)) {
		fprintf(err, commands[i].path ? "hv ctl: %s needs a PATH\n"
					       : "hv ctl: %s takes no argument\n", command);
		return 2;
	}
	if (arg && strlen(arg) > CTL_MAX_ARG / 2) { /* escaping may double it */
		fprintf(err, "hv ctl: %s: the path is longer than %d bytes\n", command,
			CTL_MAX_ARG / 2);
		return 2;
	}
	if (arg && !(path = path_body(arg))) {
		fprintf(err, "hv ctl: out of memory\n");
		return 3;
	}
	content = path ? path : commands[i].body ? commands[i].body : "";
	fd = connect_to(sock);
	if (fd < 0) {
		fprintf(err, "hv ctl: %s: cannot connect: %s\n", sock, strerror(-fd));
		return 3;
	}
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     commands[i].method, commands[i].target, strlen(content), content);
	cJSON_free(path);
	if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n) {
		fprintf(err, "hv ctl: %s: cannot send the request: %s\n", sock, strerror(errno));
		close(fd);
		return 3;
	}
	reply = read_all(fd, &len);
	close(fd);
	body = reply ? strstr(reply, "\r\n\r\n") : NULL;
	if (!body || sscanf(reply, "HTTP/1.%*[01] %d", &status) != 1) {
		fprintf(err, "hv ctl: %s: no HTTP reply (is hv serving --api-sock there?)\n", sock);
		free(reply);
		return 3;
	}
	body += 4;
	fputs(body, out);
	if (*body && body[strlen(body) - 1] != '\n')
		fputc('\n', out);
	free(reply);
	return status >= 200 && status < 300 ? 0 : 1;
}
