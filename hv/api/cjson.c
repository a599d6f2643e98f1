/*
 * cJSON (Debian's source package, fetched at build time by
 * scripts/fetch-cjson.sh into build/gen/cjson/) compiled as part of hv: hv
 * is one static musl binary, and Debian's libcjson is built for glibc.
 * Its code is not hv's: hv's stricter warnings are off for it alone.
 */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wfloat-equal"
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "cjson/cJSON.c"
