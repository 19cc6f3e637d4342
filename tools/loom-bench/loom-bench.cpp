//===- loom-bench.cpp - Fused against unfused training steps --------------===//
//
// Compiles the MLP of models/mlp.loom at several sizes, fused and unfused,
// with loomc --shared, and times one training step of each with Google
// Benchmark, repetitions interleaved at random so that both variants see the
// same machine. Prints time per step, samples/s and GFLOP/s in the matrix
// products, then the unfused/fused ratio of the medians for each size.
//
//===----------------------------------------------------------------------===//

#include "CompiledModel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <map>

using loomc::bench::CompiledModel;

#ifndef LOOM_SOURCE_DIR
#define LOOM_SOURCE_DIR "."
#endif

namespace {

struct Options {
  std::string model = std::string(LOOM_SOURCE_DIR) + "/models/mlp.loom";
  std::string loomc;
  int64_t batch = 256;
  std::vector<int64_t> hidden = {1024, 4096};
};

void usage(const char *program) {
  std::printf(
      "usage: %s [--model=FILE] [--batch=N] [--hidden=N,N,...] "
      "[--loomc=PATH] [benchmark flags]\n"
      "Times the fused against the unfused training step of an MLP model "
      "(default %s/models/mlp.loom,\nbatch 256, hidden 1024 and 4096). "
      "Google Benchmark's flags (--benchmark_filter, --benchmark_repetitions, "
      "...) apply.\n",
      program, LOOM_SOURCE_DIR);
}

bool parsePositiveList(const char *text, std::vector<int64_t> &out) {
  out.clear();
  for (const char *p = text; *p;) {
    char *end;
    long long value = std::strtoll(p, &end, 10);
    if (end == p || value <= 0)
      return false;
    out.push_back(value);
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return false;
  }
  return !out.empty();
}

// Parses loom-bench's own flags and removes them from argv; returns false
// after printing an error.
bool parseOptions(int &argc, char **argv, Options &options) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    std::vector<int64_t> list;
    if (std::strncmp(arg, "--model=", 8) == 0) {
      options.model = arg + 8;
    } else if (std::strncmp(arg, "--loomc=", 8) == 0) {
      options.loomc = arg + 8;
    } else if (std::strncmp(arg, "--batch=", 8) == 0) {
      if (!parsePositiveList(arg + 8, list) || list.size() != 1) {
        std::fprintf(stderr, "loom-bench: error: --batch: expected a positive integer\n");
        return false;
      }
      options.batch = list[0];
    } else if (std::strncmp(arg, "--hidden=", 9) == 0) {
      if (!parsePositiveList(arg + 9, options.hidden)) {
        std::fprintf(stderr, "loom-bench: error: --hidden: expected positive "
                             "integers separated by commas\n");
        return false;
      }
    } else if (std::strcmp(arg, "--help") == 0) {
      usage(argv[0]);
      std::exit(0);
    } else if (std::strncmp(arg, "--benchmark_", 12) != 0) {
      std::fprintf(stderr, "loom-bench: error: unknown flag '%s' (see --help)\n", arg);
      return false;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return true;
}

// Records the median time of every benchmark while printing as usual.
class RatioReporter : public benchmark::ConsoleReporter {
public:
  RatioReporter()
      : ConsoleReporter(isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run> &runs) override {
    for (const Run &run : runs)
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
        medians[run.run_name.function_name] = run.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> medians;
};

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (!parseOptions(argc, argv, options))
    return 1;
  if (options.loomc.empty()) {
    std::string self = llvm::sys::fs::getMainExecutable(
        argv[0], reinterpret_cast<void *>(&usage));
    llvm::SmallString<256> path(llvm::sys::path::parent_path(self));
    llvm::sys::path::append(path, "loomc");
    options.loomc = std::string(path);
  }
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("loom-bench", dir)) {
    std::fprintf(stderr, "loom-bench: error: cannot create a temporary directory: %s\n",
                 ec.message().c_str());
    return 1;
  }

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
  std::vector<std::unique_ptr<CompiledModel>> models;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int64_t hidden : options.hidden) {
    std::string config = "mlp_b" + std::to_string(options.batch) + "_h" +
                         std::to_string(hidden);
    for (bool fused : {true, false}) {
      std::string variant = fused ? "fused" : "unfused";
      std::vector<std::string> args = {"-D", "batch=" + std::to_string(options.batch),
                                       "-D", "hidden=" + std::to_string(hidden)};
      if (!fused)
        args.push_back("--no-fuse");
      std::string library = (dir + "/" + config + "_" + variant + ".so").str();
      std::string error;
      std::unique_ptr<CompiledModel> model =
          CompiledModel::build(options.loomc, options.model, args, library, error);
      if (!model) {
        std::fprintf(stderr, "loom-bench: error: %s\n", error.c_str());
        return 1;
      }
      CompiledModel *raw = model.get();
      std::string name = "train_step/" + config + "/" + variant;
      benchmark::RegisterBenchmark(name.c_str(), [raw](benchmark::State &state) {
        for (auto _ : state)
          benchmark::DoNotOptimize(raw->trainStep());
        const loom_model_info &info = raw->info();
        double batch = 0;
        for (int32_t i = 0; i < info.num_tensors; ++i)
          if (info.tensors[i].role == LOOM_ROLE_INPUT)
            batch = static_cast<double>(info.tensors[i].shape[0]);
        state.counters["samples/s"] = benchmark::Counter(
            batch * state.iterations(), benchmark::Counter::kIsRate);
        state.counters["GFLOP/s"] = benchmark::Counter(
            info.train_step_flops * 1e-9 * state.iterations(),
            benchmark::Counter::kIsRate);
      })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      models.push_back(std::move(model));
      if (!fused)
        pairs.emplace_back("train_step/" + config + "/fused", name);
    }
  }

  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\nunfused / fused time per step (medians of one interleaved run):\n");
  for (const auto &[fused, unfused] : pairs) {
    auto f = reporter.medians.find(fused), u = reporter.medians.find(unfused);
    if (f == reporter.medians.end() || u == reporter.medians.end())
      continue;
    std::printf("  %-36s fused %9.3f ms  unfused %9.3f ms  ratio %.3f\n",
                fused.substr(0, fused.rfind('/')).c_str(), f->second,
                u->second, u->second / f->second);
  }
  benchmark::Shutdown();
  llvm::sys::fs::remove_directories(dir);
  return 0;
}
