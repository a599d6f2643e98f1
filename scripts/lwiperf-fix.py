#!/usr/bin/env python3
"""One fix from later lwIP releases for lwIP 2.1.3's lwiperf.c (scripts/fetch-lwip.sh
applies it to the unpacked tree): its error callback closes a pcb lwIP has
already freed (a remote reset, a refused connect: a double free).  Later
releases forget the pcb first; so does this.  Exit status 1, the file
untouched, when the code is not as expected.
usage: lwiperf-fix.py LWIPERF.C"""
import sys
if len(sys.argv) != 2:
    sys.exit(__doc__)
path = sys.argv[1]
src = open(path).read()
fixes = [
    ("  LWIP_UNUSED_ARG(err);\n  lwiperf_tcp_close(conn, LWIPERF_TCP_ABORTED_REMOTE);",
     "  LWIP_UNUSED_ARG(err);\n  /* hv: the pcb is freed already */\n"
     "  conn->conn_pcb = NULL;\n  conn->server_pcb = NULL;\n"
     "  lwiperf_tcp_close(conn, LWIPERF_TCP_ABORTED_REMOTE);"),
    ("  } else {\n    /* no conn pcb, this is the listener pcb */",
     "  } else if (conn->server_pcb != NULL) {\n    /* no conn pcb, this is the listener pcb */"),
]
for old, new in fixes:
    if src.count(old) != 1:
        sys.exit(1)
    src = src.replace(old, new)
open(path, "w").write(src)
