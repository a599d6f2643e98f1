/* <stdlib.h> for lwIP under -nostdinc: atoi (netif_find) from the guest's lib.h. */
#ifndef GK_LWIP_STDLIB_H
#define GK_LWIP_STDLIB_H
#include "lib.h"
#endif
