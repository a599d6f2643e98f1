/*
 * lwIP's compiler and platform definitions for the guest kernel: a
 * freestanding x86-64 build (-nostdinc) with the guest's printf, no
 * <inttypes.h>, <limits.h> or <ctype.h>, and hv_exit on a failed assertion.
 */
#ifndef GK_LWIP_ARCH_CC_H
#define GK_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#include "lib.h"

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_LIMITS_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#define SSIZE_MAX INT64_MAX
typedef int64_t ssize_t;

/* The guest's printf has no h modifier: 16-bit values print as int. */
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16(x))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32(x))

/* lwIP's heap and pools on the kernel heap (lwipopts.h, MEM_LIBC_MALLOC). */
void *lwip_port_malloc(size_t n);
void *lwip_port_calloc(size_t count, size_t n);
void lwip_port_free(void *p);

/* A xorshift generator seeded from the TSC (lwip_port.c): TCP ports, ISNs, DHCP xids. */
uint32_t lwip_port_rand(void);
#define LWIP_RAND() lwip_port_rand()

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
/* A broken invariant in the stack ends the guest, as a fatal exception does. */
void lwip_port_assert(const char *msg, int line, const char *file) __attribute__((noreturn));
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert(x, __LINE__, __FILE__)

#endif
