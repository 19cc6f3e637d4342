//===- MachinePeak.cpp - The machine's multiply-add peak ------------------===//
//
// Each thread runs kChains independent chains of vector FMAs, enough to
// cover the FMA latency on every FMA unit, with nothing read from memory.
// The widest instructions the CPU has are picked at run time, so that the
// figure is the one generated code targeting the host (-march=native, as
// loomc's does) can reach.
//
//===----------------------------------------------------------------------===//

#include "MachinePeak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace loomc::bench;

namespace {

constexpr int kChains = 16;
constexpr int64_t kIterations = int64_t(1) << 22;

// x ← x·m + a converges to a/(1−m) and stays a normal number: no overflow,
// no denormal slow path. Returns a sum the compiler cannot drop.
#if defined(__x86_64__)
__attribute__((target("avx512f"))) float chainsAvx512(float seed) {
  __m512 m = _mm512_set1_ps(0.9999f), a = _mm512_set1_ps(1e-4f);
  __m512 x[kChains];
  for (int c = 0; c < kChains; ++c)
    x[c] = _mm512_set1_ps(seed + c);
  for (int64_t i = 0; i < kIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      x[c] = _mm512_fmadd_ps(x[c], m, a);
  __m512 sum = x[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm512_add_ps(sum, x[c]);
  return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"))) float chainsAvx2(float seed) {
  __m256 m = _mm256_set1_ps(0.9999f), a = _mm256_set1_ps(1e-4f);
  __m256 x[kChains];
  for (int c = 0; c < kChains; ++c)
    x[c] = _mm256_set1_ps(seed + c);
  for (int64_t i = 0; i < kIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      x[c] = _mm256_fmadd_ps(x[c], m, a);
  __m256 sum = x[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm256_add_ps(sum, x[c]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float lane : lanes)
    total += lane;
  return total;
}
#endif

float chainsScalar(float seed) {
  float x[kChains];
  for (int c = 0; c < kChains; ++c)
    x[c] = seed + c;
  for (int64_t i = 0; i < kIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      x[c] = __builtin_fmaf(x[c], 0.9999f, 1e-4f);
  float total = 0;
  for (float value : x)
    total += value;
  return total;
}

struct Kernel {
  float (*run)(float);
  int lanes;
  const char *name;
};

Kernel widestKernel() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {chainsAvx512, 16, "AVX-512"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {chainsAvx2, 8, "AVX2"};
#endif
  return {chainsScalar, 1, "scalar"};
}

} // namespace

MachinePeak loomc::bench::measureMachinePeak(int threads) {
  Kernel kernel = widestKernel();
  double flopsPerThread = 2.0 * kChains * kernel.lanes * static_cast<double>(kIterations);
  double best = 1e30;
  volatile float sink = 0;
  for (int run = 0; run < 10; ++run) {
    auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
      float result = kernel.run(static_cast<float>(omp_get_thread_num()));
#pragma omp atomic
      sink += result;
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return {flopsPerThread * threads / best * 1e-9, kernel.name};
}
