/*
 * The control API's HTTP/1.1 request parser and reply header: pure
 * functions over a buffer, no I/O, so the whole grammar is unit-tested and
 * fuzzed (tests/fuzz/fuzz_http.c).  One request per connection: the reply
 * closes it.  Requests are hostile: the head and the body have fixed bounds,
 * a body needs a Content-Length (chunked transfer is refused), and bytes
 * past the body are refused rather than taken as a second request.
 */
#ifndef HV_API_HTTP_H
#define HV_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEAD 8192  /* request line and headers, with the blank line */
#define HTTP_MAX_BODY 16384 /* a JSON body */
#define HTTP_MAX_REQUEST (HTTP_MAX_HEAD + HTTP_MAX_BODY)
#define HTTP_MAX_METHOD 15
#define HTTP_MAX_PATH 255   /* the target's path, and its query, each */

/* What the client asked to get back (Accept). */
enum http_accept {
	HTTP_ACCEPT_ANY = 0,
	HTTP_ACCEPT_JSON, /* application/json */
	HTTP_ACCEPT_TEXT, /* text/plain (Prometheus' scrapers) */
};

struct http_req {
	char method[HTTP_MAX_METHOD + 1];
	char path[HTTP_MAX_PATH + 1];  /* "/vm": the target up to '?' */
	char query[HTTP_MAX_PATH + 1]; /* after '?', or "" */
	enum http_accept accept;
	bool has_length;
	size_t content_length;
	const char *body; /* into the parsed buffer; content_length bytes */
	/* On a refusal: the HTTP status and one sentence for {"error": ...}. */
	int status;
	const char *error;
};

/*
 * Parses the request at the start of buf (len bytes read so far).
 * Returns 1 when it is complete (r filled in), 0 when more bytes are needed
 * (len is still within bounds), -1 when it is refused: r->status (400, 405,
 * 411, 413, 414, 431, 501, 505) and r->error say why.
 */
int http_parse(const char *buf, size_t len, struct http_req *r);

/* The reason phrase of an HTTP status hv sends ("Not Found"), or "Unknown". */
const char *http_reason(int status);

/*
 * Formats a reply's status line and headers (Content-Type, Content-Length,
 * Connection: close) into out.  The length written, or -1 if cap is short.
 */
int http_reply_head(char *out, size_t cap, int status, const char *content_type,
		    size_t body_len);

#endif
