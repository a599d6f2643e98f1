/*
 * The control API's socket and thread (--api-sock PATH): HTTP/1.1 on a
 * Unix socket made owner-only (0600 whatever the umask), one connection at
 * a time, each with a deadline (API_DEADLINE_MS for the whole request and
 * reply: a slow or stuck client is cut off and the next one served), one
 * request per connection.  The thread runs under its own seccomp policy
 * (SANDBOX_API) and removes the socket when hv stops it.
 */
#ifndef HV_API_SERVER_H
#define HV_API_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/api.h"
#include "sandbox/sandbox_policy.h"

#define API_DEADLINE_MS 2000

struct api_server {
	struct api api;
	int listen_fd, stop_fd, dir_fd; /* -1: none */
	char name[108];                 /* the socket's name in dir_fd */
	dev_t dev;                      /* the socket file hv made, to remove only it */
	ino_t ino;
	uint32_t dir_fd_val;            /* dir_fd, for the sandbox rules' argument test */
	char *buf;                      /* HTTP_MAX_REQUEST bytes: one request */
	pthread_t thread;
	bool started;
	/* On the thread first: the sandbox (0 or -errno: the thread ends at once). */
	int (*on_start)(struct api_server *s, void *arg);
	void *on_start_arg;
};

/*
 * Creates and binds the socket at path (before the sandbox and --chroot:
 * the thread opens nothing).  Refuses a path that exists and is not a
 * socket, or a socket another process answers on; a stale socket is
 * replaced.  0, or -errno with a one-line reason in err.
 */
int api_server_open(struct api_server *s, const char *path, char *err, size_t errlen);

/* Starts the thread (signals blocked but SIGSYS); 0 or -errno. */
int api_server_start(struct api_server *s);

/*
 * Stops the thread after the request it is serving, if any, and removes
 * the socket; safe on a server never opened or never started.
 */
void api_server_stop(struct api_server *s);

/*
 * The rules the thread's policy needs beyond SANDBOX_API's, for on_start to
 * hand to sandbox_enter_with: unlinkat and newfstatat only relative to
 * dir_fd (the socket's removal).  Fills rules; their count.
 */
unsigned api_server_sandbox_rules(struct api_server *s, struct sandbox_rule rules[2]);

#endif
