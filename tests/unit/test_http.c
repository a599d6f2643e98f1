/*
 * The control API's request parser (hv/api/http.c): complete requests,
 * every prefix of one (split reads), bodies by Content-Length, and the
 * refusals with their statuses: oversized heads and bodies, chunked
 * bodies, a missing or wrong Content-Length, pipelining, bad methods,
 * versions, targets and header bytes.
 */
#include <stdio.h>
#include <string.h>

#include "api/http.h"
#include "suites.h"

static int parse(const char *s, struct http_req *r)
{
	return http_parse(s, strlen(s), r);
}

static void test_complete(void)
{
	struct http_req r;

	CU_ASSERT_EQUAL(parse("GET /vm HTTP/1.1\r\nHost: localhost\r\n\r\n", &r), 1);
	CU_ASSERT_STRING_EQUAL(r.method, "GET");
	CU_ASSERT_STRING_EQUAL(r.path, "/vm");
	CU_ASSERT_STRING_EQUAL(r.query, "");
	CU_ASSERT_EQUAL(r.accept, HTTP_ACCEPT_ANY);
	CU_ASSERT_EQUAL(parse("GET /metrics?format=json HTTP/1.0\r\n\r\n", &r), 1);
	CU_ASSERT_STRING_EQUAL(r.path, "/metrics");
	CU_ASSERT_STRING_EQUAL(r.query, "format=json");
	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\naccept:  Text/Plain;q=0.9, application/json \r\n\r\n",
			      &r), 1);
	CU_ASSERT_EQUAL(r.accept, HTTP_ACCEPT_TEXT);
	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\nAccept: application/json\r\n\r\n", &r), 1);
	CU_ASSERT_EQUAL(r.accept, HTTP_ACCEPT_JSON);
	CU_ASSERT_EQUAL(parse("PUT /actions HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}", &r), 1);
	CU_ASSERT_EQUAL(r.content_length, 2);
	CU_ASSERT_EQUAL(memcmp(r.body, "{}", 2), 0);
	/* A GET may carry an empty body, declared. */
	CU_ASSERT_EQUAL(parse("GET /vm HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r), 1);
}

/* Every proper prefix of a valid request asks for more; the whole is complete. */
static void test_split_reads(void)
{
	static const char req[] = "PUT /actions HTTP/1.1\r\nHost: x\r\nContent-Length: 24\r\n\r\n"
				  "{\"action_type\":\"pause\"}\n";
	struct http_req r;
	size_t n;

	for (n = 0; n < strlen(req); n++)
		CU_ASSERT_EQUAL(http_parse(req, n, &r), 0);
	CU_ASSERT_EQUAL(http_parse(req, strlen(req), &r), 1);
	CU_ASSERT_EQUAL(r.content_length, 24);
}

struct refusal {
	const char *req;
	int status;
};

static void test_refusals(void)
{
	static const struct refusal t[] = {
		{ "PUT /actions HTTP/1.1\r\n\r\n", 411 },
		{ "POST /actions HTTP/1.1\r\nHost: x\r\n\r\n", 411 },
		{ "PUT /actions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 16385\r\n\r\n", 413 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length:\r\n\r\n", 400 },
		/* Content-Length short of the body sent, or a second request behind it */
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 1\r\n\r\n{}", 400 },
		{ "GET /vm HTTP/1.1\r\n\r\nGET /vm HTTP/1.1\r\n\r\n", 400 },
		{ "G@T /vm HTTP/1.1\r\n\r\n", 400 },
		{ " /vm HTTP/1.1\r\n\r\n", 400 },
		{ "GETGETGETGETGETGET /vm HTTP/1.1\r\n\r\n", 501 },
		{ "GET /vm HTTP/2.0\r\n\r\n", 505 },
		{ "GET /vm HTTP/1.1x\r\n\r\n", 400 },
		{ "GET /vm FTP/1.1\r\n\r\n", 400 },
		{ "GET /vm\r\n\r\n", 400 },
		{ "GET vm HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://localhost/vm HTTP/1.1\r\n\r\n", 400 },
		{ "GET /v\x01m HTTP/1.1\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\r\nX: a\x01 b\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\r\nNo colon\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\r\n: empty name\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\r\nBad Name: x\r\n\r\n", 400 },
	};
	struct http_req r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse(t[i].req, &r);

		if (rc != -1 || r.status != t[i].status)
			fprintf(stderr, "refusal %zu: rc %d status %d, want %d\n", i, rc, r.status,
				t[i].status);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(r.status, t[i].status);
		CU_ASSERT_PTR_NOT_NULL(r.error);
		CU_ASSERT(r.error && strlen(r.error) > 10 && r.error[strlen(r.error) - 1] == '.');
	}
}

/* A request line is judged as soon as it is whole, before the headers end. */
static void test_early_refusal(void)
{
	struct http_req r;

	CU_ASSERT_EQUAL(parse("GET /vm HTTP/3.0\r\nHost: x\r\n", &r), -1);
	CU_ASSERT_EQUAL(r.status, 505);
	CU_ASSERT_EQUAL(parse("GET /vm HTTP/1.1\r\nHost: x\r\n", &r), 0);
}

static void test_bounds(void)
{
	static char big[HTTP_MAX_REQUEST + 64];
	struct http_req r;
	int n;

	/* Headers that never end, up to the bound: then 431. */
	n = snprintf(big, sizeof(big), "GET /vm HTTP/1.1\r\n");
	memset(big + n, 'a', HTTP_MAX_HEAD - (size_t)n);
	big[n] = 'X';
	big[n + 1] = ':';
	CU_ASSERT_EQUAL(http_parse(big, HTTP_MAX_HEAD - 1, &r), 0);
	CU_ASSERT_EQUAL(http_parse(big, HTTP_MAX_HEAD, &r), -1);
	CU_ASSERT_EQUAL(r.status, 431);
	/* A path of 255 bytes is taken, 256 not (414); the query likewise. */
	n = snprintf(big, sizeof(big), "GET /%0254d HTTP/1.1\r\n\r\n", 0);
	CU_ASSERT_EQUAL(http_parse(big, (size_t)n, &r), 1);
	CU_ASSERT_EQUAL(strlen(r.path), 255);
	n = snprintf(big, sizeof(big), "GET /%0255d HTTP/1.1\r\n\r\n", 0);
	CU_ASSERT_EQUAL(http_parse(big, (size_t)n, &r), -1);
	CU_ASSERT_EQUAL(r.status, 414);
	n = snprintf(big, sizeof(big), "GET /m?%0256d HTTP/1.1\r\n\r\n", 0);
	CU_ASSERT_EQUAL(http_parse(big, (size_t)n, &r), -1);
	CU_ASSERT_EQUAL(r.status, 414);
	/* The largest body is taken whole, after the largest head's worth of headers. */
	n = snprintf(big, sizeof(big), "PUT /actions HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
		     HTTP_MAX_BODY);
	memset(big + n, '{', HTTP_MAX_BODY);
	CU_ASSERT_EQUAL(http_parse(big, (size_t)n + HTTP_MAX_BODY, &r), 1);
	CU_ASSERT_EQUAL(r.content_length, HTTP_MAX_BODY);
}

static void test_reply_head(void)
{
	char out[256];
	int n = http_reply_head(out, sizeof(out), 409, "application/json", 12);

	CU_ASSERT(n > 0);
	CU_ASSERT_STRING_EQUAL(out, "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
				    "Content-Length: 12\r\nConnection: close\r\n\r\n");
	CU_ASSERT_EQUAL(http_reply_head(out, 16, 200, "text/plain", 1), -1);
	CU_ASSERT_STRING_EQUAL(http_reason(408), "Request Timeout");
	CU_ASSERT_STRING_EQUAL(http_reason(799), "Unknown");
}

int suite_http(void)
{
	static const CU_TestInfo t[] = {
		{ "complete requests", test_complete },
		{ "split reads: every prefix asks for more", test_split_reads },
		{ "refusals and their statuses", test_refusals },
		{ "a bad request line is refused early", test_early_refusal },
		{ "bounds of head, target and body", test_bounds },
		{ "reply head", test_reply_head },
		CU_TEST_INFO_NULL,
	};
	return add_suite("http", t);
}
