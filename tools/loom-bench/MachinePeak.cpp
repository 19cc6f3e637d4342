//===- MachinePeak.cpp - The machine's multiply-add peak ------------------===//
//
// Each thread runs kChains independent chains of vector FMAs, enough to
// cover the FMA latency on every FMA unit, with nothing read from memory.
// The widest instructions the CPU has are picked at run time, so that the
// figure is the one generated code targeting the host (-march=native, as
// loomc's does) can reach. The bf16 peak likewise: AMX tiles, else
// vdpbf16ps.
//
//===----------------------------------------------------------------------===//

#include "MachinePeak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
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

// kChains accumulators of 16 fp32 lanes, each adding 32 bf16 products a
// cycle's worth at a time (vdpbf16ps: 64 flops). The bf16 operands (1.0
// and 2^-15) keep the accumulators finite for any number of iterations.
__attribute__((target("avx512f,avx512bf16"))) float chainsAvx512Bf16(float seed) {
  __m512bh one = (__m512bh)_mm512_set1_epi16(0x3f80);
  __m512bh tiny = (__m512bh)_mm512_set1_epi16(0x3800);
  __m512 x[kChains];
  for (int c = 0; c < kChains; ++c)
    x[c] = _mm512_set1_ps(seed + c);
  for (int64_t i = 0; i < kIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      x[c] = _mm512_dpbf16_ps(x[c], one, tiny);
  __m512 sum = x[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm512_add_ps(sum, x[c]);
  return _mm512_reduce_add_ps(sum);
}

// AMX: 4 accumulator tiles (16x16 fp32) fed by 2 A and 2 B tiles (16 rows
// of 32 bf16), all on tile registers, zeros (the tile unit's speed does not
// depend on the values): each tdpbf16ps is 16·16·32 multiply-adds.
constexpr int64_t kTileIterations = kIterations / 8;

struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0, reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
};

__attribute__((target("amx-tile,amx-bf16"))) float tilesAmx(float seed) {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytesPerRow[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  _tile_zero(4); _tile_zero(5); _tile_zero(6); _tile_zero(7);
  for (int64_t i = 0; i < kTileIterations; ++i) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  alignas(64) float out[16 * 16];
  _tile_stored(0, out, 64);
  _tile_release();
  return out[0] + seed;
}

// Linux hands out the AMX tile state only on request (arch_prctl
// ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); without it the first tile
// instruction is SIGILL.
bool amxPermitted() {
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
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

// The best of 10 runs of `run` on `threads` threads, in GFLOP/s.
static double bestRate(float (*run)(float), double flopsPerThread, int threads) {
  double best = 1e30;
  volatile float sink = 0;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
      float result = run(static_cast<float>(omp_get_thread_num()));
#pragma omp atomic
      sink += result;
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return flopsPerThread * threads / best * 1e-9;
}

MachinePeak loomc::bench::measureMachinePeak(int threads) {
  Kernel kernel = widestKernel();
  double flopsPerThread = 2.0 * kChains * kernel.lanes * static_cast<double>(kIterations);
  return {bestRate(kernel.run, flopsPerThread, threads), kernel.name};
}

MachinePeak loomc::bench::measureBf16Peak(int threads) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("amx-bf16") && __builtin_cpu_supports("amx-tile")) {
    if (!amxPermitted())
      return {0, "AMX-BF16 present, but Linux refused the tile state "
                 "(arch_prctl ARCH_REQ_XCOMP_PERM)"};
    double flopsPerThread = 4.0 * 2 * 16 * 16 * 32 * static_cast<double>(kTileIterations);
    return {bestRate(tilesAmx, flopsPerThread, threads), "AMX tdpbf16ps"};
  }
  if (__builtin_cpu_supports("avx512bf16")) {
    double flopsPerThread = 2.0 * kChains * 32 * static_cast<double>(kIterations);
    return {bestRate(chainsAvx512Bf16, flopsPerThread, threads),
            "AVX512-BF16 vdpbf16ps"};
  }
#endif
  return {0, "none: the CPU has neither AMX-BF16 nor AVX512-BF16"};
}
