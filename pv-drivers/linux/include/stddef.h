/*
 * <stddef.h> for protocol/ and pv-drivers/ headers built as Linux kernel code:
 * the kernel has no C library headers (-nostdinc); <linux/types.h> and
 * <linux/stddef.h> define what these headers would.
 */
#ifndef HV_LINUX_SHIM_STDDEF_H
#define HV_LINUX_SHIM_STDDEF_H
#include <linux/types.h>
#include <linux/stddef.h>
#endif
