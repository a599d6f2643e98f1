/*
 * hv ctl SOCK COMMAND: a client of a running hv's control API for people
 * without curl.  Each COMMAND is one request from a table (vm, pause,
 * resume, shutdown, metrics, metrics-json); the reply's body goes to out.
 */
#ifndef HV_API_CTL_H
#define HV_API_CTL_H

#include <stdio.h>

#define CTL_TIMEOUT_MS 10000

/*
 * Sends COMMAND's request to the socket and prints the reply's body on out
 * (reasons hv itself finds on err).  The exit status: 0 for a 2xx reply,
 * 1 for an HTTP error (the body says why), 2 for an unknown command, 3
 * when there is no answer (no socket, no hv, a broken reply).
 */
int api_ctl(const char *sock, const char *command, FILE *out, FILE *err);

#endif
