/*
 * Events after the platform has saved the interrupted context: exceptions go
 * to a registered handler or end the kernel with a register dump; interrupts
 * go to their vector's handler.
 */
#ifndef GK_TRAP_H
#define GK_TRAP_H

#include <stdbool.h>

#include "platform.h"

#define VEC_DE 0
#define VEC_NMI 2
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14
#define VEC_TIMER 0x20
#define VEC_DEV_FIRST 0x40 /* vectors the guest chooses for its devices: trap_alloc_vector */
#define VEC_DEV_LAST 0x5f  /* (hv's trap devices bring their own, from 0x60) */
#define VEC_SPURIOUS 0xff
#define NVEC 256

/*
 * Returns true if it dealt with the event and the context may resume; ctx
 * is what the handler was registered with (its device), so no handler
 * searches for its device by vector.
 */
typedef bool (*trap_fn)(struct trap_frame *f, void *ctx);

/* Installs fn (NULL: none) for a fixed vector: exceptions, the timer, a vector hv chose. */
void trap_set_handler(unsigned vector, trap_fn fn, void *ctx);
/*
 * The one allocator of device vectors: the lowest free one in
 * VEC_DEV_FIRST..VEC_DEV_LAST, with fn installed; 0 when none is left.
 */
unsigned trap_alloc_vector(trap_fn fn, void *ctx);
/* Prints the frame and exits through HV_HC_EXIT with status 128 + vector. */
__attribute__((noreturn)) void trap_fatal(const struct trap_frame *f);
const char *trap_name(unsigned vector);

uint64_t trap_count(unsigned vector);

/*
 * Sleeps until an interrupt has been handled, unless *flag is already set:
 * the check and the halt are one step, so an interrupt that sets *flag in
 * between is not slept through.  Callers loop until *flag is set.
 */
void trap_wait(const volatile int *flag);

#endif
