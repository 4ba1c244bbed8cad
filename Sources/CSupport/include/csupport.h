#ifndef SESSION_SENSOR_CSUPPORT_H
#define SESSION_SENSOR_CSUPPORT_H

#include <stddef.h>

/// glibc's memmem (a GNU extension the Swift Glibc module does not export).
const void *sensor_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

#endif
