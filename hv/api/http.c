/* The control API's request parser: strict HTTP/1.1, bounded, one request. */
#include "api/http.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int refuse(struct http_req *r, int status, const char *why)
{
	r->status = status;
	r->error = why;
	return -1;
}

/* RFC 9110 tchar: what a method or a header name may hold. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A header value's bytes: visible ASCII, space, tab, and bytes above 0x7f (obs-text). */
static bool is_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static const char *find(const char *p, const char *end, const char *what)
{
	size_t n = strlen(what);

	for (; (size_t)(end - p) >= n; p++)
		if (!memcmp(p, what, n))
			return p;
	return NULL;
}

/* The request line, p to end (its CRLF excluded). */
static int parse_request_line(const char *p, const char *end, struct http_req *r)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p)), *t, *q, *tend;
	size_t n;

	if (!sp || sp == p)
		return refuse(r, 400, "The request line is not METHOD TARGET HTTP/1.1.");
	n = (size_t)(sp - p);
	for (t = p; t < sp; t++)
		if (!is_tchar((unsigned char)*t))
			return refuse(r, 400, "The method is not a token.");
	if (n > HTTP_MAX_METHOD)
		return refuse(r, 501, "The method is not one hv knows.");
	memcpy(r->method, p, n);
	r->method[n] = '\0';
	t = sp + 1;
	tend = memchr(t, ' ', (size_t)(end - t));
	if (!tend)
		return refuse(r, 400, "The request line is not METHOD TARGET HTTP/1.1.");
	if (t == tend || *t != '/')
		return refuse(r, 400, "The target is not an absolute path.");
	for (q = t; q < tend; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return refuse(r, 400, "The target holds a byte a URI may not.");
	q = memchr(t, '?', (size_t)(tend - t));
	n = (size_t)((q ? q : tend) - t);
	if (n > HTTP_MAX_PATH || (q && (size_t)(tend - q - 1) > HTTP_MAX_PATH))
		return refuse(r, 414, "The target is too long.");
	memcpy(r->path, t, n);
	r->path[n] = '\0';
	if (q) {
		memcpy(r->query, q + 1, (size_t)(tend - q - 1));
		r->query[tend - q - 1] = '\0';
	}
	t = tend + 1;
	n = (size_t)(end - t);
	if (n == 8 && (!memcmp(t, "HTTP/1.1", 8) || !memcmp(t, "HTTP/1.0", 8)))
		return 0;
	if (n == 8 && !memcmp(t, "HTTP/", 5) && t[5] >= '0' && t[5] <= '9' && t[6] == '.' &&
	    t[7] >= '0' && t[7] <= '9')
		return refuse(r, 505, "Only HTTP/1.1 (and 1.0) are spoken here.");
	return refuse(r, 400, "The request line is not METHOD TARGET HTTP/1.1.");
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(name, want, n);
}

/* Case-insensitive search for a media type in an Accept value. */
static const char *find_ci(const char *p, const char *end, const char *what)
{
	size_t n = strlen(what);

	for (; (size_t)(end - p) >= n; p++)
		if (!strncasecmp(p, what, n))
			return p;
	return NULL;
}

static int parse_header(const char *p, const char *end, struct http_req *r)
{
	const char *colon = memchr(p, ':', (size_t)(end - p)), *v, *t;
	size_t n;

	if (p == end || *p == ' ' || *p == '\t')
		return refuse(r, 400, "A header line is folded or empty.");
	if (!colon || colon == p)
		return refuse(r, 400, "A header line has no name.");
	n = (size_t)(colon - p);
	for (t = p; t < colon; t++)
		if (!is_tchar((unsigned char)*t))
			return refuse(r, 400, "A header name is not a token.");
	for (t = colon + 1; t < end; t++)
		if (!is_field_byte((unsigned char)*t))
			return refuse(r, 400, "A header value holds a control character.");
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (name_is(p, n, "Content-Length")) {
		uint64_t len = 0;

		if (r->has_length)
			return refuse(r, 400, "Content-Length is given twice.");
		if (v == end)
			return refuse(r, 400, "Content-Length is not a number.");
		for (t = v; t < end; t++) {
			if (*t < '0' || *t > '9')
				return refuse(r, 400, "Content-Length is not a number.");
			len = len * 10 + (uint64_t)(*t - '0');
			if (len > HTTP_MAX_BODY)
				return refuse(r, 413, "The body is larger than hv takes (16 KiB).");
		}
		r->has_length = true;
		r->content_length = (size_t)len;
	} else if (name_is(p, n, "Transfer-Encoding")) {
		return refuse(r, 501, "Transfer codings (chunked) are not supported: "
				      "send the body with a Content-Length.");
	} else if (name_is(p, n, "Accept")) {
		const char *j = find_ci(v, end, "application/json"), *x = find_ci(v, end, "text/plain");

		r->accept = j && (!x || j < x) ? HTTP_ACCEPT_JSON : x ? HTTP_ACCEPT_TEXT
									  : HTTP_ACCEPT_ANY;
	}
	return 0;
}

int http_parse(const char *buf, size_t len, struct http_req *r)
{
	const char *end = buf + (len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD);
	const char *head_end, *line, *eol;
	size_t body_at;

	memset(r, 0, sizeof(*r));
	head_end = find(buf, end, "\r\n\r\n");
	if (!head_end) {
		/* The request line can be judged as soon as it is whole. */
		eol = find(buf, end, "\r\n");
		if (eol && parse_request_line(buf, eol, r))
			return -1;
		if (len >= HTTP_MAX_HEAD)
			return refuse(r, 431, "The request's headers are larger than hv takes (8 KiB).");
		memset(r, 0, sizeof(*r));
		return 0;
	}
	eol = find(buf, head_end + 2, "\r\n");
	if (parse_request_line(buf, eol, r))
		return -1;
	for (line = eol + 2; line < head_end + 2; line = eol + 2) {
		eol = find(line, head_end + 2, "\r\n");
		if (parse_header(line, eol, r))
			return -1;
	}
	if (!r->has_length && (!strcmp(r->method, "PUT") || !strcmp(r->method, "POST") ||
			       !strcmp(r->method, "PATCH")))
		return refuse(r, 411, "A request with a body needs a Content-Length.");
	body_at = (size_t)(head_end + 4 - buf);
	if (len < body_at + r->content_length)
		return 0;
	if (len > body_at + r->content_length)
		return refuse(r, 400, "Bytes follow the request: one request per connection "
				      "(no pipelining), or Content-Length is short.");
	r->body = buf + body_at;
	return 1;
}

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

int http_reply_head(char *out, size_t cap, int status, const char *content_type,
		    size_t body_len)
{
	int n = snprintf(out, cap,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, http_reason(status), content_type, body_len);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}
