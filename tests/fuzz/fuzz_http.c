/*
 * Fuzz target: the control API's request parser (hv/api/http.c), which
 * reads whatever a client on the socket sends.  The input is the bytes
 * read so far.  Oracles: ASan and UBSan, and http_parse's promises: 1, 0
 * or -1; a refusal has a status hv documents and a one-line sentence; a
 * complete request has a token method, an absolute path, strings within
 * their bounds, and a body that ends exactly where the input does (no
 * pipelining); every proper prefix of a complete request asks for more.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "fuzz_check.h"

static __attribute__((noreturn)) void fail(const char *what)
{
	fprintf(stderr, "fuzz: http_parse: %s\n", what);
	abort();
}

static const int statuses[] = { 400, 405, 411, 413, 414, 431, 501, 505 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	char *buf;
	size_t i;
	int rc;

	if (size > HTTP_MAX_REQUEST)
		return 0; /* the server never hands it more */
	/* An exact-size copy: ASan sees a read one byte past the bytes read. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = http_parse(buf, size, &r);
	if (rc == -1) {
		for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			if (r.status == statuses[i])
				break;
		if (i == sizeof(statuses) / sizeof(statuses[0]))
			fail("a refusal with an undocumented status");
		if (!r.error || !fuzz_one_line(r.error))
			fail("a refusal without a one-line reason");
	} else if (rc == 1) {
		if (!r.method[0] || r.path[0] != '/' || strlen(r.path) > HTTP_MAX_PATH ||
		    strlen(r.query) > HTTP_MAX_PATH)
			fail("a complete request with a bad method or target");
		if (r.content_length > HTTP_MAX_BODY || r.body + r.content_length != buf + size)
			fail("a body that does not end where the request does");
		if (size && http_parse(buf, size - 1, &r) != 0)
			fail("a proper prefix of a complete request does not ask for more");
		if (size > 1 && http_parse(buf, size / 2, &r) != 0)
			fail("half of a complete request does not ask for more");
	} else if (rc != 0) {
		fail("a return other than 1, 0 or -1");
	} else if (size >= HTTP_MAX_HEAD + HTTP_MAX_BODY) {
		fail("a full buffer that still asks for more");
	}
	free(buf);
	return 0;
}
