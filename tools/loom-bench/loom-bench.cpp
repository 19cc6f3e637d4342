//===- loom-bench.cpp - Fused against unfused training steps --------------===//
//
// Compiles models with loomc --shared, fused and unfused, and times one
// training step of each with Google Benchmark, repetitions interleaved at
// random so that both variants see the same machine. For the transformer
// configs it also times every matrix product shape of the step against
// OpenBLAS at the same thread count, and breaks a step down by source
// operation, fused against unfused (builds with loomc --profile). The flags
// and cases are BenchOptions', the builds and reports Reports'.
//
//===----------------------------------------------------------------------===//

#include "BenchOptions.h"
#include "DecodeBench.h"
#include "Reports.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>

using namespace loomc::bench;

int main(int argc, char **argv) {
  // As the training executable does (runtime/src/main.c): freed
  // intermediates stay in the heap instead of going back to the kernel and
  // faulting in again at the next step.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
  Options options;
  switch (parseOptions(argc, argv, options)) {
  case Parsed::error:
    return 1;
  case Parsed::help:
    printUsage(argv[0]);
    return 0;
  case Parsed::run:
    break;
  }
  if (options.loomc.empty()) {
    std::string self = llvm::sys::fs::getMainExecutable(
        argv[0], reinterpret_cast<void *>(&printUsage));
    llvm::SmallString<256> path(llvm::sys::path::parent_path(self));
    llvm::sys::path::append(path, "loomc");
    options.loomc = std::string(path);
  }
  if (std::getenv("OPENBLAS_CORETYPE"))
    std::fprintf(stderr,
                 "loom-bench: note: OPENBLAS_CORETYPE=%s limits "
                 "OpenBLAS to that kernel; unset it for its best\n",
                 std::getenv("OPENBLAS_CORETYPE"));
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("loom-bench", dir)) {
    std::fprintf(stderr,
                 "loom-bench: error: cannot create a temporary directory: %s\n",
                 ec.message().c_str());
    return 1;
  }
  // The libraries built there go with it, whichever way the run ends.
  llvm::scope_exit removeDir([&] { llvm::sys::fs::remove_directories(dir); });

  if (options.decode)
    return runDecodeBench(options, casesOf(options), dir.str().str());

  // Defaults that the command line may override: five repetitions,
  // interleaved at random across all variants, reported as aggregates.
  std::vector<char *> args(argv, argv + argc);
  std::vector<std::string> defaults;
  auto given = [&](const char *flag) {
    for (int i = 1; i < argc; ++i)
      if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0)
        return true;
    return false;
  };
  if (!given("--benchmark_repetitions"))
    defaults.push_back("--benchmark_repetitions=5");
  if (!given("--benchmark_enable_random_interleaving"))
    defaults.push_back("--benchmark_enable_random_interleaving=true");
  if (!given("--benchmark_report_aggregates_only"))
    defaults.push_back("--benchmark_report_aggregates_only=true");
  for (std::string &flag : defaults)
    args.push_back(flag.data());
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());

  Bench bench(options, dir.str().str());
  std::vector<Case> cases = casesOf(options);
  for (const Case &c : cases)
    if (!bench.registerSteps(c))
      return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  bench.printMachinePeak();
  bench.printRatios(cases, reporter);
  bench.unloadSteps();
  for (const Case &c : cases) {
    if (options.breakdown && !bench.printBreakdown(c))
      return 1;
    if (options.breakdown && bench.builtBf16() && !bench.printBreakdown(c, /*bf16=*/true))
      return 1;
    if (options.products && c.gpt2 && !bench.printProducts(c))
      return 1;
    if (options.products && c.gpt2 && bench.builtBf16() &&
        !bench.printProducts(c, /*bf16=*/true))
      return 1;
  }
  benchmark::Shutdown();
  return 0;
}
