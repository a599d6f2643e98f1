/*
 * hv ctl SOCK COMMAND [PATH]: a client of a running hv's control API for
 * people without curl.  Each COMMAND is one request from a table (vm,
 * snapshot PATH, pause, resume, shutdown, metrics, metrics-json); the
 * reply's body goes to out.
 */
#ifndef HV_API_CTL_H
#define HV_API_CTL_H

#include <stdio.h>

#define CTL_TIMEOUT_MS 10000
#define CTL_MAX_ARG 8192 /* a PATH's bytes once escaped as JSON, at most */

/*
 * Sends COMMAND's request to the socket and prints the reply's body on out
 * (reasons hv itself finds on err).  The exit status: 0 for a 2xx reply,
 * 1 for an HTTP error (the body says why), 2 for an unknown command or a
 * missing or extra PATH (arg: the PATH, or NULL), 3 when there is no answer
 * (no socket, no hv, a broken reply).
 */
int api_ctl(const char *sock, const char *command, const char *arg, FILE *out, FILE *err);

#endif
