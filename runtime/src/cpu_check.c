/*===- cpu_check.c - Does this CPU run what loomc generated? -------------===*
 *
 * CPUID for the instructions, XGETBV for the OS's saving of the registers
 * they use, and Linux's permission for AMX tiles (cpu_features.h).
 *
 *===---------------------------------------------------------------------===*/

/* syscall() is a GNU/BSD extension, hidden by -std=c11. */
#define _DEFAULT_SOURCE

#include "cpu_check.h"

#include "loom/runtime/cpu_features.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cpuid_bit(unsigned leaf, unsigned subleaf, int reg, int bit) {
  unsigned r[4];
  /* The highest basic (0) or extended (0x80000000) leaf the CPU has. */
  if ((unsigned)__get_cpuid_max(leaf & 0x80000000u, NULL) < leaf)
    return 0;
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
  return (r[reg] >> bit) & 1;
}

/* XCR0, the register state the OS saves; 0 without OSXSAVE. */
static uint64_t saved_state(void) {
  if (!cpuid_bit(1, 0, 2, 27))
    return 0;
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static int state_enabled(int state) {
  uint64_t xcr0 = saved_state();
  switch (state) {
  case LOOM_CPU_STATE_AVX:
    return (xcr0 & 0x6) == 0x6; /* SSE, AVX */
  case LOOM_CPU_STATE_AVX512:
    return (xcr0 & 0xE6) == 0xE6; /* and opmask, ZMM_Hi256, Hi16_ZMM */
  case LOOM_CPU_STATE_AMX:
    return (xcr0 & 0x60000) == 0x60000; /* XTILECFG, XTILEDATA */
  default:
    return 1;
  }
}

int loom_cpu_has(const char *name) {
#define LOOM_CHECK_FEATURE(feature, leaf, subleaf, reg, bit, state)            \
  if (strcmp(name, feature) == 0)                                              \
    return cpuid_bit(leaf, subleaf, reg, bit) && state_enabled(state);
  LOOM_CPU_FEATURES(LOOM_CHECK_FEATURE)
#undef LOOM_CHECK_FEATURE
  return -1;
}

/* ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA: once per process. */
static int request_amx(void) {
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
}
#else
int loom_cpu_has(const char *name) {
  (void)name;
  return -1;
}
static int request_amx(void) { return 0; }
#endif

static void append(char *missing, size_t size, const char *name) {
  size_t used = strlen(missing);
  if (used + strlen(name) + 3 > size)
    return;
  if (used > 0)
    strcat(missing, ", ");
  strcat(missing, name);
}

int loom_cpu_check(const loom_model_info *model, char *missing, size_t size) {
  int count = 0, tiles = 0;
  if (size > 0)
    missing[0] = '\0';
  for (int32_t i = 0; i < model->num_cpu_features; ++i) {
    const char *name = model->cpu_features[i];
    /* A name this runtime does not know cannot be checked: loomc and the
     * runtime share the table, so it means a different runtime. */
    if (loom_cpu_has(name) != 1) {
      append(missing, size, name);
      ++count;
    } else if (strncmp(name, "amx-", 4) == 0) {
      tiles = 1;
    }
  }
  if (count == 0 && tiles && !request_amx()) {
    append(missing, size, "amx-tile (Linux refused the tile state)");
    ++count;
  }
  return count;
}
