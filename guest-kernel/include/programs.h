/*
 * The guest programs: the first word of the command line chooses one from
 * the table in programs/programs.c.
 */
#ifndef GK_PROGRAMS_H
#define GK_PROGRAMS_H

#include "hv_abi.h"

struct blkdev;

/* A program: bi is what hv described at boot; returns the guest's exit status. */
typedef int program_fn(const struct hv_boot_info *bi, int argc, char **argv);

/* Runs the program argv[0] names (demo for an empty line); 2 and the list for an unknown one. */
int programs_run(const struct hv_boot_info *bi, int argc, char **argv);

/* For programs that take a device: the one argv[i] names, or a message and NULL. */
struct blkdev *program_dev_arg(int argc, char **argv, int i, const char *usage);

/* The programs, by file under programs/. */
program_fn cmd_demo, cmd_hello, cmd_exitcost;              /* demo.c */
program_fn cmd_exit, cmd_divzero, cmd_spin;                /* control.c */
program_fn cmd_selftest;                                   /* selftest.c */
program_fn cmd_snapcount, cmd_snapio;                      /* snapcount.c */
program_fn cmd_blkinfo, cmd_sha256, cmd_copy, cmd_blkwrite; /* blktools.c */
program_fn cmd_blkverify;                                  /* blkverify.c */
program_fn cmd_blkreattach;                                /* blkreattach.c */
program_fn cmd_blkhostile, cmd_traphostile;                /* hostile.c */
program_fn cmd_blkbench;                                   /* blkbench.c */
program_fn cmd_cpubench;                                   /* cpubench.c */
program_fn cmd_netinfo;                                    /* netinfo.c */
program_fn cmd_ping;                                       /* ping.c */
program_fn cmd_udpecho, cmd_tcpecho;                       /* echo.c */
program_fn cmd_httpd;                                      /* httpd.c */
program_fn cmd_iperf;                                      /* iperf.c */
program_fn cmd_netloop;                                    /* netloop.c */
program_fn cmd_nethostile;                                 /* nethostile.c */
program_fn cmd_netcost;                                    /* netcost.c */
program_fn cmd_blkops;                                     /* blkops.c */
program_fn cmd_durwrite;                                   /* durwrite.c */
program_fn cmd_flood;                                      /* flood.c */
program_fn cmd_isolate;                                    /* isolate.c */

#endif
