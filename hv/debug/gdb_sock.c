/* --gdb's address: parsing, and the listening socket on loopback or a path. */
#include "debug/gdb_sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

int gdb_addr_parse(const char *spec, struct gdb_addr *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (!strncmp(spec, "tcp:", 4)) {
		const char *p = spec + 4;
		unsigned long port = 0;

		for (; *p >= '0' && *p <= '9' && port <= 65535; p++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (p == spec + 4 || *p || port == 0 || port > 65535)
			return err_msg(-EINVAL, err, errlen,
				       "--gdb %s: the port is a number from 1 to 65535", spec);
		a->port = (uint16_t)port;
		return 0;
	}
	if (!strncmp(spec, "unix:", 5)) {
		size_t n = strlen(spec + 5);

		if (!n || n > SUN_PATH_MAX)
			return err_msg(-EINVAL, err, errlen,
				       "--gdb %s: a socket path is 1 to %zu bytes", spec, SUN_PATH_MAX);
		a->is_unix = true;
		a->path = spec + 5;
		return 0;
	}
	return err_msg(-EINVAL, err, errlen, "--gdb '%s': want tcp:PORT or unix:PATH", spec);
}

void gdb_addr_describe(const struct gdb_addr *a, char *buf, size_t cap)
{
	if (a->is_unix)
		snprintf(buf, cap, "unix socket %s", a->path);
	else
		snprintf(buf, cap, "127.0.0.1:%u", a->port);
}

int gdb_listen(const struct gdb_addr *a, char *err, size_t errlen)
{
	char where[160];
	int fd, rc, one = 1;

	gdb_addr_describe(a, where, sizeof(where));
	fd = socket(a->is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_msg(-errno, err, errlen, "--gdb %s: %s", where, strerror(errno));
	if (a->is_unix) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		mode_t old = umask(0177); /* owner-only from the start: gdb controls the guest */

		memcpy(sa.sun_path, a->path, strlen(a->path));
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
		umask(old);
	} else {
		/* Loopback only: whoever connects owns the guest. */
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	}
	if (!rc && listen(fd, 1))
		rc = -errno;
	if (rc) {
		close(fd);
		return err_msg(rc, err, errlen, "--gdb %s: %s", where, strerror(-rc));
	}
	return fd;
}
