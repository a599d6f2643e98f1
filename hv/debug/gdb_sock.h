/*
 * Where the gdb stub listens (--gdb tcp:PORT on 127.0.0.1 only, or
 * --gdb unix:PATH): the option's grammar, the listening socket, and the
 * wait for gdb's connection, all before the sandbox.
 */
#ifndef HV_GDB_SOCK_H
#define HV_GDB_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gdb_addr {
	bool is_unix;
	uint16_t port;    /* tcp: 1..65535 */
	const char *path; /* unix: 1..107 bytes, from the option's argument */
};

/* Parses "tcp:PORT" or "unix:PATH"; 0, or -EINVAL with a one-line reason in err. */
int gdb_addr_parse(const char *spec, struct gdb_addr *a, char *err, size_t errlen);

/* A listening socket for a (nonblocking, close-on-exec); the fd, or -errno with err. */
int gdb_listen(const struct gdb_addr *a, char *err, size_t errlen);

/* Describes a for messages ("127.0.0.1:1234", "unix socket PATH"). */
void gdb_addr_describe(const struct gdb_addr *a, char *buf, size_t cap);

#endif
