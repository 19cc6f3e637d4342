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

TEST(CpuCheck, AgreesWithTheCompilersReading) {
  __builtin_cpu_init();
  EXPECT_EQ(loom_cpu_has("avx2"), __builtin_cpu_supports("avx2") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("fma"), __builtin_cpu_supports("fma") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512f"), __builtin_cpu_supports("avx512f") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512bw"), __builtin_cpu_supports("avx512bw") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512bf16"),
            __builtin_cpu_supports("avx512bf16") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("amx-tile"), __builtin_cpu_supports("amx-tile") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512fp16"),
            __builtin_cpu_supports("avx512fp16") ? 1 : 0);
  // Extended leaf 0x80000001.
  EXPECT_EQ(loom_cpu_has("lzcnt"), __builtin_cpu_supports("lzcnt") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("movbe"), __builtin_cpu_supports("movbe") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("adx"), __builtin_cpu_supports("adx") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("sha"), __builtin_cpu_supports("sha") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("gfni"), __builtin_cpu_supports("gfni") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("vaes"), __builtin_cpu_supports("vaes") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("vpclmulqdq"), __builtin_cpu_supports("vpclmulqdq") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512ifma"), __builtin_cpu_supports("avx512ifma") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512vbmi2"), __builtin_cpu_supports("avx512vbmi2") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512bitalg"),
            __builtin_cpu_supports("avx512bitalg") ? 1 : 0);
  EXPECT_EQ(loom_cpu_has("avx512vpopcntdq"),
            __builtin_cpu_supports("avx512vpopcntdq") ? 1 : 0);
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
