/*===- clock.h - Wall time for timing steps and collectives -------------===*/

#ifndef LOOM_RUNTIME_CLOCK_H
#define LOOM_RUNTIME_CLOCK_H

#include <time.h>

/* Milliseconds of the monotonic clock (the includer defines
 * _POSIX_C_SOURCE before any header, for clock_gettime). */
static inline double loom_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

#endif /* LOOM_RUNTIME_CLOCK_H */
