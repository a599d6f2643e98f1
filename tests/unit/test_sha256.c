/*
 * The guest's SHA-256 (guest-kernel/sha256.c), checked on the host against
 * FIPS 180-4 vectors and fed in odd-sized pieces: the guest's `sha256`
 * program is only as right as this.
 */
#include <string.h>

#include "sha256.h"
#include "suites.h"

static void digest_of(const void *p, size_t n, size_t piece, char hex[65])
{
	struct sha256 s;
	uint8_t d[32];
	size_t off;

	sha256_init(&s);
	for (off = 0; off < n; off += piece)
		sha256_update(&s, (const uint8_t *)p + off, n - off < piece ? n - off : piece);
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

static void test_vectors(void)
{
	static const char two_blocks[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[65];

	digest_of("", 0, 1, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_of("abc", 3, 1, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	for (size_t piece = 1; piece <= 64; piece++) {
		digest_of(two_blocks, strlen(two_blocks), piece, hex);
		CU_ASSERT_STRING_EQUAL(hex,
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
}

static void test_million_a(void)
{
	static char a[1000000];
	char hex[65];

	memset(a, 'a', sizeof(a));
	digest_of(a, sizeof(a), 4093, hex);
	CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int suite_sha256(void)
{
	static const CU_TestInfo tests[] = {
		{ "FIPS 180-4 vectors, any split", test_vectors },
		{ "one million 'a'", test_million_a },
		CU_TEST_INFO_NULL,
	};
	return add_suite("sha256 (guest)", tests);
}
