/* <string.h> for lwIP under -nostdinc: the guest's own functions (lib.h). */
#ifndef GK_LWIP_STRING_H
#define GK_LWIP_STRING_H
#include "lib.h"
#endif
