/*
 * Disk images behind hv's block devices: a raw file (O_DIRECT when the file
 * system allows it, buffered otherwise) or the null backend, which completes
 * every request at once without touching a file.  Opening validates
 * everything a guest request will later be checked against.
 */
#ifndef HV_DISK_H
#define HV_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_PATH_MAX 4096

/* What the command line asked for: `PATH[,ro]` or `null:SIZE[,ro]`. */
struct disk_spec {
	char path[DISK_PATH_MAX];
	bool ro;
	uint64_t null_size; /* > 0: the null backend of this many bytes */
};

struct disk {
	int fd;             /* -1 for the null backend */
	uint64_t size;      /* bytes, a multiple of 512 */
	uint64_t sectors;
	bool ro;
	bool direct;        /* opened with O_DIRECT */
	bool null;
	char name[64];      /* for messages: the path's last component */
};

/*
 * Opens and validates: a regular file or block device, size a non-zero
 * multiple of 512, readable (and writable unless ro).  0 or -errno with a
 * one-line reason in err.
 */
int disk_open(struct disk *d, const struct disk_spec *spec, char *err, size_t errlen);
void disk_close(struct disk *d);

/* True when [sector, sector + bytes/512) lies inside the image (no overflow). */
static inline bool disk_range_ok(const struct disk *d, uint64_t sector, uint64_t bytes)
{
	return sector <= d->sectors && bytes / 512 <= d->sectors - sector;
}

/* "O_DIRECT", "buffered" or "null", for --verbose. */
const char *disk_mode(const struct disk *d);

#endif
