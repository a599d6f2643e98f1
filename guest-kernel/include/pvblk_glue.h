/*
 * The guest kernel's glue around the OS-neutral PV block front end
 * (pv-drivers/pvblk_fe): finds pvblk devices in the boot info, gives the
 * front end the kernel's services and vectors, registers each as a blkdev.
 */
#ifndef GK_PVBLK_GLUE_H
#define GK_PVBLK_GLUE_H

struct blkdev;
struct boot_args;
struct pvblk_fe;

/*
 * Attaches every HV_DEV_PVBLK device in the boot info.  The kernel
 * parameter poll=all or poll=pvblk0,pvblk2 names devices that get no
 * completion interrupt: whoever waits on them takes completions itself.
 */
void pvblk_glue_probe(const struct boot_args *b);

/* The front end behind d, or NULL if d is not a pvblk device (for blkhostile). */
struct pvblk_fe *pvblk_glue_fe(struct blkdev *d);
/*
 * Detaches d's queue (even a broken one) and attaches fresh rings, for
 * blkreattach and blkhostile; 0 or -HV_E*.  After a failed attach every
 * request on d fails with HV_BLK_S_IOERR.
 */
int pvblk_glue_reattach(struct blkdev *d);

#endif
