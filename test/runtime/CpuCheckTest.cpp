//===- CpuCheckTest.cpp - The start-up check of CPU features --------------===//
//
// cpu_check.c reads CPUID itself (the runtime cannot use
// __builtin_cpu_supports with names only known at run time); here it is
// compared with the compiler's own reading, on whatever host runs the test.

extern "C" {
#include "cpu_check.h"
}

#include <cstring>
#include <gtest/gtest.h>
#include <string>

// __builtin_cpu_supports takes only a literal: one line per feature.
#define EXPECT_AGREES(feature)                                                 \
  EXPECT_EQ(loom_cpu_has(feature), __builtin_cpu_supports(feature) ? 1 : 0)

TEST(CpuCheck, AgreesWithTheCompilersReading) {
  __builtin_cpu_init();
  EXPECT_AGREES("avx2");
  EXPECT_AGREES("fma");
  EXPECT_AGREES("avx512f");
  EXPECT_AGREES("avx512bw");
  EXPECT_AGREES("avx512bf16");
  EXPECT_AGREES("amx-tile");
  EXPECT_AGREES("avx512fp16");
  // Extended leaf 0x80000001.
  EXPECT_AGREES("lzcnt");
  EXPECT_AGREES("movbe");
  EXPECT_AGREES("adx");
  EXPECT_AGREES("sha");
  EXPECT_AGREES("gfni");
  EXPECT_AGREES("vaes");
  EXPECT_AGREES("vpclmulqdq");
  EXPECT_AGREES("avx512ifma");
  EXPECT_AGREES("avx512vbmi2");
  EXPECT_AGREES("avx512bitalg");
  EXPECT_AGREES("avx512vpopcntdq");
  EXPECT_EQ(loom_cpu_has("no-such-feature"), -1);
}

TEST(CpuCheck, NamesWhatIsMissing) {
  const char *have[] = {"sse4.2"};
  loom_model_info model = {};
  model.num_cpu_features = 1;
  model.cpu_features = have;
  char missing[128];
  EXPECT_EQ(loom_cpu_check(&model, missing, sizeof missing), 0);
  EXPECT_STREQ(missing, "");

  // A name the runtime does not know cannot be checked: missing.
  const char *unknown[] = {"sse4.2", "avx9000", "avx10.9"};
  model.num_cpu_features = 3;
  model.cpu_features = unknown;
  EXPECT_EQ(loom_cpu_check(&model, missing, sizeof missing), 2);
  EXPECT_STREQ(missing, "avx9000, avx10.9");

  // A list longer than the buffer is cut, never overrun.
  char small[12];
  EXPECT_EQ(loom_cpu_check(&model, small, sizeof small), 2);
  EXPECT_LT(std::strlen(small), sizeof small);
}
