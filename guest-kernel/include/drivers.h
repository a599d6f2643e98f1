/* The device drivers, as the kernel core sees them: one call at boot. */
#ifndef GK_DRIVERS_H
#define GK_DRIVERS_H

struct boot_args;

/* Runs every driver's probe in table order (drivers/drivers.c). */
void drivers_probe(const struct boot_args *b);

#endif
