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
#define VEC_SPURIOUS 0xff
#define NVEC 256

/* Returns true if it dealt with the event and the context may resume. */
typedef bool (*trap_fn)(struct trap_frame *f);

void trap_set_handler(unsigned vector, trap_fn fn);
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
