/*
 * The guest's segment selectors (arch/cpu_x86_64.c builds the GDT).  The same
 * numbers as hv's boot GDT (hv_abi.h), so the switch at entry changes tables,
 * not selectors.  Usable from C and assembly.
 */
#ifndef GK_GDT_H
#define GK_GDT_H

#define GDT_KCODE 0x08 /* 64-bit code, DPL 0 */
#define GDT_KDATA 0x10 /* data, DPL 0 */
#define GDT_TSS 0x18   /* 64-bit TSS: two slots */
#define GDT_ENTRIES 5

#endif
