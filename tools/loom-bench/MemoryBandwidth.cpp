//===- MemoryBandwidth.cpp - The machine's memory bandwidth ---------------===//
//
// The memory side of a roofline: an elementwise op, a norm or an optimizer
// update can go no faster than its tensors can be read and written, and
// loom-bench --breakdown reports each against whichever of this rate and
// the FMA peak bounds it. STREAM's triad alone undercounts what the
// machine moves for in-place updates: its fresh output is also read for
// ownership, which it does not count. On the Zen 4 host (a virtual machine
// sharing its memory) every loop here measured 26-56 GB/s from one minute
// to the next, so a rate is comparable only with others of the same run.
//
//===----------------------------------------------------------------------===//

#include "MemoryBandwidth.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <omp.h>
#include <sys/mman.h>

using namespace loomc::bench;

// The best time of a few runs of `loop` (the first, which may pay for
// page faults, left out).
static double bestSeconds(const std::function<void()> &loop) {
  double best = 1e30;
  for (int run = 0; run < 5; ++run) {
    auto start = std::chrono::steady_clock::now();
    loop();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (run > 0)
      best = std::min(best, elapsed.count());
  }
  return best;
}

// The loops over one thread's chunk [begin, end), on restrict pointers so
// that each compiles to plain vector loads and stores, and cloned for the
// widest vectors the CPU has: built for baseline x86-64 alone, they moved
// three quarters (and the update a quarter) of what the AVX-512 clones do
// on the Zen 4 host. (The clones are the chunks: OpenMP's outlined loop
// bodies would not inherit the target attributes.)
#if defined(__x86_64__)
#define LOOM_WIDEST_VECTORS __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LOOM_WIDEST_VECTORS
#endif

namespace loomc::bench::streaming {
LOOM_WIDEST_VECTORS void triad(int64_t begin, int64_t end, float *__restrict a,
                               const float *__restrict b, const float *__restrict c) {
  for (int64_t i = begin; i < end; ++i)
    a[i] = b[i] + 0.5f * c[i];
}

LOOM_WIDEST_VECTORS void triadInPlace(int64_t begin, int64_t end, float *__restrict a,
                                      const float *__restrict b) {
  for (int64_t i = begin; i < end; ++i)
    a[i] = a[i] + 1e-3f * b[i];
}

LOOM_WIDEST_VECTORS void updateInPlace(int64_t begin, int64_t end, float *__restrict a,
                                       const float *__restrict b, float *__restrict c,
                                       float *__restrict d) {
  for (int64_t i = begin; i < end; ++i) {
    a[i] = 0.9f * a[i] + b[i];
    c[i] = 0.99f * c[i] + b[i] * b[i];
    d[i] = 0.5f * d[i] + a[i];
  }
}
} // namespace loomc::bench::streaming

// `chunk(begin, end)` on `threads` threads, each over an equal consecutive
// part of [0, n) -- the part it first touched.
template <typename Chunk>
static void inParallel(int threads, int64_t n, Chunk chunk) {
#pragma omp parallel num_threads(threads)
  {
    int64_t parts = omp_get_num_threads(), part = omp_get_thread_num();
    chunk(n * part / parts, n * (part + 1) / parts);
  }
}

// An array of its own pages, as a large tensor's buffer gets: mapped
// fresh (loom-bench, like the runtime, keeps freed memory in its heap, and
// heap memory is not laid out in huge pages, which cost a streaming loop a
// fifth of its rate on the Zen 4 host), unmapped by the destructor.
class MappedArray {
public:
  explicit MappedArray(int64_t bytes) : bytes(bytes) {
    void *memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data = memory == MAP_FAILED ? nullptr : static_cast<float *>(memory);
    if (data)
      madvise(data, bytes, MADV_HUGEPAGE);
  }
  ~MappedArray() {
    if (data)
      munmap(data, bytes);
  }
  MappedArray(const MappedArray &) = delete;
  MappedArray &operator=(const MappedArray &) = delete;
  float *data;

private:
  int64_t bytes;
};

MemoryBandwidth loomc::bench::measureMemoryBandwidth(int threads, int64_t arrayBytes) {
  const int64_t n = arrayBytes / static_cast<int64_t>(sizeof(float));
  MappedArray a(arrayBytes), b(arrayBytes), c(arrayBytes), d(arrayBytes);
  if (!a.data || !b.data || !c.data || !d.data)
    return {0, "not measured: no memory for its arrays"};
  float *pa = a.data, *pb = b.data, *pc = c.data, *pd = d.data;
  // First touch on the threads that will stream them, as STREAM does.
  inParallel(threads, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pa[i] = 0.0f;
      pb[i] = 1.0f;
      pc[i] = 2.0f;
      pd[i] = 3.0f;
    }
  });
  using namespace streaming;
  struct Loop {
    const char *name;
    int transfers; // arrays read or written, each counted once
    std::function<void(int64_t, int64_t)> chunk;
  };
  const Loop loops[] = {
      {"STREAM triad a = b + s*c", 3,
       [&](int64_t begin, int64_t end) { triad(begin, end, pa, pb, pc); }},
      {"triad in place a = a + s*b", 2,
       [&](int64_t begin, int64_t end) { triadInPlace(begin, end, pa, pb); }},
      // Reads a, b, c and d, writes a, c and d.
      {"update of a, c, d in place from b", 7,
       [&](int64_t begin, int64_t end) { updateInPlace(begin, end, pa, pb, pc, pd); }},
  };
  MemoryBandwidth best;
  for (const Loop &loop : loops) {
    double seconds = bestSeconds([&] { inParallel(threads, n, loop.chunk); });
    double rate = loop.transfers * static_cast<double>(arrayBytes) / seconds * 1e-9;
    if (rate > best.gbPerSecond)
      best = {rate, loop.name};
  }
  return best;
}
