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
#include <algorithm>
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <unistd.h>
#include <map>

using loomc::bench::CompiledModel;

#ifndef LOOM_SOURCE_DIR
#define LOOM_SOURCE_DIR "."
#endif

namespace {

struct Options {
  std::string model = std::string(LOOM_SOURCE_DIR) + "/models/mlp.loom";
  bool modelGiven = false;
  std::string loomc;
  // -D NAME=VALUE for every build, and one constant swept over values.
  std::vector<std::string> defines;
  std::string sweepName;
  std::vector<std::string> sweepValues;
};

void usage(const char *program) {
  std::printf(
      "usage: %s [--model=FILE] [-D NAME=VALUE]... [--sweep=NAME=V1,V2,...] "
      "[--loomc=PATH] [benchmark flags]\n"
      "Times the fused against the unfused training step (forward, backward "
      "and AdamW update) of a model,\nbuilt by loomc with the given constants, "
      "once per value of the swept constant.\nWithout flags: %s/models/mlp.loom "
      "with -D batch=256 --sweep=hidden=1024,4096.\nGoogle Benchmark's flags "
      "(--benchmark_filter, --benchmark_repetitions, ...) apply.\n",
      program, LOOM_SOURCE_DIR);
}

// NAME=VALUE with both parts non-empty; loomc checks the rest.
bool isDefinition(const std::string &text) {
  size_t equals = text.find('=');
  return equals != std::string::npos && equals > 0 && equals + 1 < text.size();
}

// Parses loom-bench's own flags and removes them from argv; returns false
// after printing an error.
bool parseOptions(int &argc, char **argv, Options &options) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--model=", 0) == 0) {
      options.model = arg.substr(8);
      options.modelGiven = true;
    } else if (arg.rfind("--loomc=", 0) == 0) {
      options.loomc = arg.substr(8);
    } else if (arg == "-D" || arg.rfind("-D", 0) == 0) {
      std::string definition = arg == "-D" ? (i + 1 < argc ? argv[++i] : "")
                                           : arg.substr(2);
      if (!isDefinition(definition)) {
        std::fprintf(stderr, "loom-bench: error: -D %s: expected NAME=VALUE\n",
                     definition.c_str());
        return false;
      }
      options.defines.push_back(definition);
    } else if (arg.rfind("--sweep=", 0) == 0) {
      std::string sweep = arg.substr(8);
      size_t equals = sweep.find('=');
      options.sweepValues.clear();
      if (isDefinition(sweep)) {
        options.sweepName = sweep.substr(0, equals);
        std::string values = sweep.substr(equals + 1) + ",";
        for (size_t start = 0, comma; (comma = values.find(',', start)) != std::string::npos;
             start = comma + 1)
          options.sweepValues.push_back(values.substr(start, comma - start));
      }
      if (options.sweepValues.empty() ||
          std::find(options.sweepValues.begin(), options.sweepValues.end(), "") !=
              options.sweepValues.end()) {
        std::fprintf(stderr, "loom-bench: error: --sweep=%s: expected "
                             "NAME=V1,V2,...\n", sweep.c_str());
        return false;
      }
    } else if (arg == "--help") {
      usage(argv[0]);
      std::exit(0);
    } else if (arg.rfind("--benchmark_", 0) != 0) {
      std::fprintf(stderr, "loom-bench: error: unknown flag '%s' (see --help)\n",
                   arg.c_str());
      return false;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  // The default benchmark: the MLP at the sizes the README reports.
  if (!options.modelGiven && options.defines.empty() && options.sweepName.empty()) {
    options.defines = {"batch=256"};
    options.sweepName = "hidden";
    options.sweepValues = {"1024", "4096"};
  }
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
  // As the training executable does (runtime/src/main.c): freed
  // intermediates stay in the heap instead of going back to the kernel and
  // faulting in again at the next step.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
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
  std::string stem = llvm::sys::path::stem(options.model).str();
  std::vector<std::string> sweep = options.sweepValues;
  if (sweep.empty())
    sweep.push_back("");
  for (const std::string &value : sweep) {
    std::string config = stem;
    for (const std::string &definition : options.defines)
      config += "_" + definition.substr(0, definition.find('=')) +
                definition.substr(definition.find('=') + 1);
    if (!options.sweepName.empty())
      config += "_" + options.sweepName + value;
    for (bool fused : {true, false}) {
      std::string variant = fused ? "fused" : "unfused";
      std::vector<std::string> args;
      for (const std::string &definition : options.defines)
        args.insert(args.end(), {"-D", definition});
      if (!options.sweepName.empty())
        args.insert(args.end(), {"-D", options.sweepName + "=" + value});
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
        // Throughput in samples (a vector model's rows) or tokens (a
        // language model's [batch, seq] ids): the first input's elements.
        const loom_model_info &info = raw->info();
        double items = 0;
        bool tokens = false;
        for (int32_t i = 0; i < info.num_tensors && items == 0; ++i) {
          const loom_tensor_info &tensor = info.tensors[i];
          if (tensor.role != LOOM_ROLE_INPUT)
            continue;
          tokens = tensor.dtype == LOOM_DTYPE_I32 && tensor.rank == 2;
          items = static_cast<double>(tensor.shape[0]) *
                  (tokens ? static_cast<double>(tensor.shape[1]) : 1.0);
        }
        state.counters[tokens ? "tokens/s" : "samples/s"] = benchmark::Counter(
            items * state.iterations(), benchmark::Counter::kIsRate);
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
    std::printf("  %-44s fused %9.3f ms  unfused %9.3f ms  ratio %.3f\n",
                fused.substr(0, fused.rfind('/')).c_str(), f->second,
                u->second, u->second / f->second);
  }
  benchmark::Shutdown();
  llvm::sys::fs::remove_directories(dir);
  return 0;
}
