//===- DecodeBench.cpp - Prefill and decode against the weights' read -----===//

#include "DecodeBench.h"

extern "C" {
#include "loom/runtime/abi.h"
#include "tensors.h"
}

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <omp.h>
#include <string>
#include <vector>

using namespace loomc::bench;

namespace {

using InferenceFn = void (*)(void *const *, const int32_t *, int64_t, float *);

// A library built by loomc --shared, with its parameters (random) and its
// key/value cache allocated.
struct InferenceLibrary {
  void *handle = nullptr;
  const loom_model_info *model = nullptr;
  InferenceFn prefill = nullptr, decode = nullptr;
  loom_tensors tensors{};

  ~InferenceLibrary() {
    loom_tensors_free(&tensors);
    if (handle)
      dlclose(handle);
  }
};

bool buildLibrary(const Options &options, const Case &c,
                  const std::vector<std::string> &extra, const std::string &path,
                  InferenceLibrary &library, std::string &error) {
  std::vector<std::string> owned = {options.loomc, c.model, "--shared", "-o", path};
  for (const std::string &define : c.defines)
    owned.push_back("-D" + define);
  owned.insert(owned.end(), extra.begin(), extra.end());
  std::vector<llvm::StringRef> args(owned.begin(), owned.end());
  std::string log = path + ".log";
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, std::nullopt,
                                                llvm::StringRef(log)};
  if (llvm::sys::ExecuteAndWait(options.loomc, args, std::nullopt, redirects) != 0) {
    error = "loomc failed on " + c.model;
    if (auto text = llvm::MemoryBuffer::getFile(log))
      error += "\n" + (*text)->getBuffer().rtrim().str();
    return false;
  }
  library.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library.handle) {
    error = std::string("cannot load ") + path + ": " + dlerror();
    return false;
  }
  library.model = static_cast<const loom_model_info *>(dlsym(library.handle, "loom_model"));
  library.prefill = reinterpret_cast<InferenceFn>(dlsym(library.handle, "loom_prefill"));
  library.decode = reinterpret_cast<InferenceFn>(dlsym(library.handle, "loom_decode"));
  if (!library.model || !library.prefill || !library.decode ||
      library.model->abi_version != LOOM_ABI_VERSION) {
    error = path + " is not a Loom model library of ABI version " +
            std::to_string(LOOM_ABI_VERSION);
    return false;
  }
  if (!library.model->inference.available) {
    error = c.name + " has no inference entry points: " +
            library.model->inference.unavailable;
    return false;
  }
  if (loom_tensors_alloc(&library.tensors, library.model, -1) != 0 ||
      loom_tensors_alloc_cache(&library.tensors) != 0) {
    error = "out of memory for the tensors of " + c.name;
    return false;
  }
  loom_tensors_init(&library.tensors, /*seed=*/0);
  return true;
}

// Seconds per call of `work`, the mean of enough calls to fill `budget`.
template <typename Work> double timeCalls(Work work, double budget) {
  using Clock = std::chrono::steady_clock;
  work(); // warm: pages touched, caches filled
  int calls = 0;
  Clock::time_point start = Clock::now();
  double elapsed = 0;
  do {
    work();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < budget);
  return elapsed / calls;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string cpuName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

int64_t parameterBytes(const loom_model_info &model) {
  int64_t bytes = 0;
  for (int32_t i = 0; i < model.num_tensors; ++i)
    if (model.tensors[i].role == LOOM_ROLE_PARAM)
      bytes += static_cast<int64_t>(loom_tensor_bytes(&model.tensors[i]));
  return bytes;
}

// Sums `n` floats, each thread its share: one read of the buffer from
// memory (it is far larger than the caches), as a decode step reads each
// weight once. 64 independent partial sums, so that the loop is bound by
// the memory and not by the latency of one chain of additions (without
// -ffast-math a single float accumulator is not vectorized).
float readOnce(const float *data, int64_t n) {
  constexpr int64_t kLanes = 64;
  float total = 0;
#pragma omp parallel reduction(+ : total)
  {
    int threads = omp_get_num_threads(), thread = omp_get_thread_num();
    int64_t blocks = n / kLanes;
    int64_t begin = blocks * thread / threads * kLanes;
    int64_t end = blocks * (thread + 1) / threads * kLanes;
    float partial[kLanes] = {};
    for (int64_t i = begin; i < end; i += kLanes)
      for (int64_t lane = 0; lane < kLanes; ++lane)
        partial[lane] += data[i + lane];
    for (int64_t lane = 0; lane < kLanes; ++lane)
      total += partial[lane];
    if (thread == threads - 1)
      for (int64_t i = blocks * kLanes; i < n; ++i)
        total += data[i];
  }
  return total;
}

int benchCase(const Options &options, const Case &c, const std::string &dir) {
  // The length a decode step is measured at: its cache holds length - 1
  // positions.
  constexpr int64_t kLength = 128;
  std::string error;
  InferenceLibrary cached, recompute;
  if (!buildLibrary(options, c, {}, dir + "/" + c.name + "-decode.so", cached, error) ||
      !buildLibrary(options, c,
                    {"--context=" + std::to_string(kLength),
                     "--prefill-length=" + std::to_string(kLength)},
                    dir + "/" + c.name + "-recompute.so", recompute, error)) {
    std::fprintf(stderr, "loom-bench: error: %s\n", error.c_str());
    return 1;
  }
  const loom_inference_info &info = cached.model->inference;
  if (info.context < kLength || info.prefill_length > kLength) {
    std::fprintf(stderr,
                 "loom-bench: error: --decode needs a context of at least %lld "
                 "positions and a prefill length of at most that; %s has %lld "
                 "and %lld\n",
                 (long long)kLength, c.name.c_str(), (long long)info.context,
                 (long long)info.prefill_length);
    return 1;
  }
  int64_t batch = info.batch, prompt = info.prefill_length, vocab = info.vocab;
  std::vector<int32_t> tokens(batch * kLength);
  for (size_t i = 0; i < tokens.size(); ++i)
    tokens[i] = static_cast<int32_t>((i * 7919) % vocab);
  std::vector<float> logits(batch * kLength * vocab);
  // The cache filled up to kLength - 1, as after a prompt and some decoding.
  for (int64_t start = 0; start + prompt <= kLength - 1; start += prompt)
    cached.prefill(cached.tensors.buffers, tokens.data(), start, logits.data());
  for (int64_t p = (kLength - 1) / prompt * prompt; p < kLength - 1; ++p)
    cached.decode(cached.tensors.buffers, tokens.data(), p, logits.data());

  int64_t weightBytes = parameterBytes(*cached.model);
  std::vector<float> probe(weightBytes / sizeof(float), 1.0f);
  volatile float sink = 0;
  std::vector<double> prefillTimes, decodeTimes, recomputeTimes, probeTimes;
  for (int round = 0; round < 5; ++round) {
    prefillTimes.push_back(timeCalls(
        [&] { cached.prefill(cached.tensors.buffers, tokens.data(), 0, logits.data()); },
        0.3));
    // Position kLength - 1 again and again: each call rewrites that row of
    // the cache and attends over the kLength positions.
    decodeTimes.push_back(timeCalls(
        [&] {
          cached.decode(cached.tensors.buffers, tokens.data(), kLength - 1, logits.data());
        },
        0.3));
    recomputeTimes.push_back(timeCalls(
        [&] {
          recompute.prefill(recompute.tensors.buffers, tokens.data(), 0, logits.data());
        },
        0.3));
    probeTimes.push_back(timeCalls(
        [&] { sink = sink + readOnce(probe.data(), static_cast<int64_t>(probe.size())); },
        0.3));
  }
  double prefill = median(prefillTimes), decode = median(decodeTimes),
         recomputed = median(recomputeTimes), read = median(probeTimes);
  std::printf("\nloom-bench --decode: %s, batch %lld, context %lld, %d threads, on %s\n",
              c.name.c_str(), (long long)batch, (long long)info.context,
              omp_get_max_threads(), cpuName().c_str());
  std::printf("  prefill of %lld tokens:            %9.3f ms  %9.1f tokens/s\n",
              (long long)prompt, prefill * 1e3, batch * prompt / prefill);
  std::printf("  decode step at position %lld:      %9.3f ms  %9.1f tokens/s  "
              "%.2f GFLOP/s in its products\n",
              (long long)kLength - 1, decode * 1e3, batch / decode,
              info.decode_flops / decode * 1e-9);
  std::printf("  the same token without the cache: %9.3f ms  (a forward pass "
              "over all %lld tokens): %.1fx the decode step\n",
              recomputed * 1e3, (long long)kLength, recomputed / decode);
  std::printf("  reading the weights once (%.1f MiB): %7.3f ms  %6.1f GB/s\n",
              weightBytes / 1048576.0, read * 1e3, weightBytes / read * 1e-9);
  std::printf("  decode step / weight read: %.2fx (the aim: at most 1.5x)\n",
              decode / read);
  return 0;
}

} // namespace

int loomc::bench::runDecodeBench(const Options &options,
                                 const std::vector<Case> &cases,
                                 const std::string &dir) {
  for (const Case &c : cases)
    if (int status = benchCase(options, c, dir))
      return status;
  return 0;
}
