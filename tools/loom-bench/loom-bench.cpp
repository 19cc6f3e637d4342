//===- loom-bench.cpp - Fused against unfused training steps --------------===//
//
// Compiles models with loomc --shared, fused and unfused, and times one
// training step of each with Google Benchmark, repetitions interleaved at
// random so that both variants see the same machine. For the transformer
// configs it also times every matrix product shape of the step against
// OpenBLAS at the same thread count, and breaks a step down by source
// operation, fused against unfused (builds with loomc --profile).
//
//===----------------------------------------------------------------------===//

#include "BlasBaseline.h"
#include "CompiledModel.h"
#include "MachinePeak.h"
#include "StepProfile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <map>
#include <omp.h>
#include <set>
#include <thread>
#include <unistd.h>

using namespace loomc::bench;

#ifndef LOOM_SOURCE_DIR
#define LOOM_SOURCE_DIR "."
#endif

namespace {

const std::string kSourceDir = LOOM_SOURCE_DIR;

// OpenMP's workers (Loom's) and OpenBLAS's spin for a while after their
// last parallel region before they sleep; measured right after the other,
// either would share the cores with them. A pause lets both settle.
void letThreadsSettle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

// The sizes of a GPT-2 config (models/gpt2.loom).
struct Gpt2Sizes {
  int64_t vocab, layers, dim, heads, seq, batch;

  // FLOP per training step by the usual formula, so that figures compare
  // with PyTorch's and llm.c's: 6·N·B·T for the N non-embedding
  // parameters, 6·V·C·B·T for the tied output layer, 6·L·B·T²·C for causal
  // attention.
  double modelFlops() const {
    double tokens = static_cast<double>(batch) * seq, c = dim;
    double nonEmbedding = layers * (12 * c * c + 13 * c) + 2 * c;
    return 6 * nonEmbedding * tokens + 6.0 * vocab * c * tokens +
           6.0 * layers * batch * seq * seq * c;
  }
  std::vector<std::string> defines() const {
    return {"vocab=" + std::to_string(vocab), "layers=" + std::to_string(layers),
            "dim=" + std::to_string(dim),     "heads=" + std::to_string(heads),
            "seq=" + std::to_string(seq),     "batch=" + std::to_string(batch)};
  }
};

const std::map<std::string, Gpt2Sizes> kConfigs = {
    {"mini", {4096, 4, 256, 4, 128, 8}},
    {"gpt2s", {50257, 12, 768, 12, 64, 4}},
};

// One model at one size: both variants are built and timed.
struct Case {
  std::string name;
  std::string model;
  std::vector<std::string> defines;
  std::optional<Gpt2Sizes> gpt2;
};

struct Options {
  std::string model = kSourceDir + "/models/mlp.loom";
  bool modelGiven = false;
  std::string loomc;
  // -D NAME=VALUE for every build, and one constant swept over values.
  std::vector<std::string> defines;
  std::string sweepName;
  std::vector<std::string> sweepValues;
  std::vector<std::string> configs;
  bool breakdown = false, products = false, remat = false;
  int profileSteps = 9;
};

void usage(const char *program) {
  std::printf(
      "usage: %s [--config=mini,gpt2s] [--model=FILE] [-D NAME=VALUE]... "
      "[--sweep=NAME=V1,V2,...]\n"
      "          [--breakdown] [--products] [--remat] [--loomc=PATH] [benchmark flags]\n"
      "Times the fused against the unfused training step (forward, backward "
      "and AdamW update).\n"
      "Without flags: the GPT-2 configs mini (vocab 4096, 4 layers, dim 256, "
      "4 heads, seq 128, batch 8)\nand gpt2s (vocab 50257, 12 layers, dim "
      "768, 12 heads, seq 64, batch 4) of %s/models/gpt2.loom,\nwith every "
      "matrix product shape against OpenBLAS (--products), a step broken "
      "down by\noperation (--breakdown) and the fused step built with --remat "
      "as well (--remat: its time\nand loomc's memory plan against the "
      "fused step's). --model, -D and --sweep time other\nmodels; the other "
      "flags add their reports for them. Run it with "
      "OPENBLAS_CORETYPE unset, so that OpenBLAS uses its best kernel.\n"
      "Google Benchmark's flags (--benchmark_filter, --benchmark_repetitions, "
      "...) apply.\n",
      program, kSourceDir.c_str());
}

// NAME=VALUE with both parts non-empty; loomc checks the rest.
bool isDefinition(const std::string &text) {
  size_t equals = text.find('=');
  return equals != std::string::npos && equals > 0 && equals + 1 < text.size();
}

std::vector<std::string> splitList(const std::string &text) {
  std::vector<std::string> items;
  std::string rest = text + ",";
  for (size_t start = 0, comma; (comma = rest.find(',', start)) != std::string::npos;
       start = comma + 1)
    items.push_back(rest.substr(start, comma - start));
  return items;
}

// Parses loom-bench's own flags and removes them from argv; returns false
// after printing an error.
bool parseOptions(int &argc, char **argv, Options &options) {
  int kept = 1;
  bool custom = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--model=", 0) == 0) {
      options.model = arg.substr(8);
      options.modelGiven = custom = true;
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
      custom = true;
    } else if (arg.rfind("--sweep=", 0) == 0) {
      std::string sweep = arg.substr(8);
      options.sweepValues.clear();
      if (isDefinition(sweep)) {
        size_t equals = sweep.find('=');
        options.sweepName = sweep.substr(0, equals);
        options.sweepValues = splitList(sweep.substr(equals + 1));
      }
      if (options.sweepValues.empty() ||
          std::find(options.sweepValues.begin(), options.sweepValues.end(), "") !=
              options.sweepValues.end()) {
        std::fprintf(stderr, "loom-bench: error: --sweep=%s: expected "
                             "NAME=V1,V2,...\n", sweep.c_str());
        return false;
      }
      custom = true;
    } else if (arg.rfind("--config=", 0) == 0) {
      for (const std::string &name : splitList(arg.substr(9))) {
        if (!kConfigs.count(name)) {
          std::fprintf(stderr, "loom-bench: error: --config: unknown config "
                               "'%s' (the configs: mini, gpt2s)\n", name.c_str());
          return false;
        }
        options.configs.push_back(name);
      }
    } else if (arg == "--breakdown") {
      options.breakdown = true;
    } else if (arg == "--products") {
      options.products = true;
    } else if (arg == "--remat") {
      options.remat = true;
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
  if (!custom && options.configs.empty()) {
    options.configs = {"mini", "gpt2s"};
    options.breakdown = options.products = options.remat = true;
  }
  return true;
}

std::vector<Case> casesOf(const Options &options) {
  std::vector<Case> cases;
  for (const std::string &name : options.configs) {
    const Gpt2Sizes &sizes = kConfigs.at(name);
    cases.push_back({name, kSourceDir + "/models/gpt2.loom", sizes.defines(), sizes});
  }
  if (!options.modelGiven && options.defines.empty() && options.sweepName.empty())
    return cases;
  std::string stem = llvm::sys::path::stem(options.model).str();
  std::vector<std::string> sweep = options.sweepValues;
  if (sweep.empty())
    sweep.push_back("");
  for (const std::string &value : sweep) {
    Case c{stem, options.model, options.defines, std::nullopt};
    for (const std::string &definition : options.defines)
      c.name += "_" + definition.substr(0, definition.find('=')) +
                definition.substr(definition.find('=') + 1);
    if (!options.sweepName.empty()) {
      c.name += "_" + options.sweepName + value;
      c.defines.push_back(options.sweepName + "=" + value);
    }
    cases.push_back(c);
  }
  return cases;
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

class Bench {
  // loomc's memory plan of a build: its arena, and the whole step's bytes.
  struct Plan {
    int64_t arena = 0, step = 0;
  };
  std::map<std::string, Plan> plans;
  // FLOP of a case's training step, by the formula its GFLOP/s use.
  std::map<std::string, double> stepFlops;

public:
  Bench(Options options, std::string dir)
      : options(std::move(options)), dir(std::move(dir)) {}

  std::unique_ptr<CompiledModel> build(const Case &c, const std::string &variant,
                                       std::vector<std::string> extra) {
    std::vector<std::string> args;
    for (const std::string &definition : c.defines)
      args.insert(args.end(), {"-D", definition});
    args.insert(args.end(), extra.begin(), extra.end());
    std::string library = dir + "/" + c.name + "_" + variant + ".so";
    std::string error;
    std::unique_ptr<CompiledModel> model =
        CompiledModel::build(options.loomc, c.model, args, library, error);
    if (!model) {
      std::fprintf(stderr, "loom-bench: error: %s\n", error.c_str());
      std::exit(1);
    }
    return model;
  }

  void registerSteps(const Case &c) {
    std::vector<std::pair<std::string, std::vector<std::string>>> variants = {
        {"fused", {}}, {"unfused", {"--no-fuse"}}};
    if (options.remat)
      variants.push_back({"fused_remat", {"--remat"}});
    for (const auto &[variant, flags] : variants) {
      std::unique_ptr<CompiledModel> model = build(c, variant, flags);
      CompiledModel *raw = model.get();
      plans[c.name + "/" + variant] = {raw->info().arena_bytes, raw->plannedBytes()};
      double flops = c.gpt2 ? c.gpt2->modelFlops() : raw->info().train_step_flops;
      stepFlops[c.name] = flops;
      std::string name = "train_step/" + c.name + "/" + variant;
      benchmark::RegisterBenchmark(name.c_str(), [raw, flops](benchmark::State &state) {
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
            flops * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
      })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      models.push_back(std::move(model));
    }
  }

  // The ceiling every rate below is measured against, on the threads the
  // steps ran on.
  void printMachinePeak() {
    letThreadsSettle();
    peak = measureMachinePeak(omp_get_max_threads());
    std::printf("\nthe machine's peak: %.1f GFLOP/s on %d threads (%s multiply-adds "
                "on registers, nothing else)\n",
                peak.gflops, omp_get_max_threads(), peak.instructions.c_str());
  }

  void printRatios(const std::vector<Case> &cases, const RatioReporter &reporter) {
    std::printf("\nunfused / fused time per step (medians of one interleaved "
                "run):\n");
    for (const Case &c : cases) {
      std::string prefix = "train_step/" + c.name;
      auto f = reporter.medians.find(prefix + "/fused");
      auto u = reporter.medians.find(prefix + "/unfused");
      if (f == reporter.medians.end() || u == reporter.medians.end())
        continue;
      std::printf("  %-44s fused %9.3f ms  unfused %9.3f ms  ratio %.3f\n",
                  prefix.c_str(), f->second, u->second, u->second / f->second);
      double flops = stepFlops[c.name], rate = flops / (f->second * 1e6);
      std::printf("    %.2f GFLOP/step (%s): %.1f GFLOP/s fused, %.0f %% of the peak",
                  flops * 1e-9,
                  c.gpt2 ? "6·N·B·T + 6·V·C·B·T + 6·L·B·T²·C"
                         : "2·M·N·K for each product of the forward and backward",
                  rate, 100 * rate / peak.gflops);
      if (c.gpt2)
        std::printf(", %.0f tokens/s", c.gpt2->batch * c.gpt2->seq / (f->second * 1e-3));
      std::printf("\n");
      auto r = reporter.medians.find(prefix + "/fused_remat");
      if (r == reporter.medians.end())
        continue;
      auto mib = [](int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
      const Plan &fusedPlan = plans[c.name + "/fused"];
      const Plan &rematPlan = plans[c.name + "/fused_remat"];
      std::printf("    --remat: %.3f ms (%.3f x fused); memory plan: "
                  "intermediates %.1f -> %.1f MiB, whole step %.1f -> %.1f MiB "
                  "(%.3f x)\n",
                  r->second, r->second / f->second, mib(fusedPlan.arena),
                  mib(rematPlan.arena), mib(fusedPlan.step), mib(rematPlan.step),
                  static_cast<double>(rematPlan.step) / fusedPlan.step);
    }
  }

  // The time of each source operation of a step, fused against unfused:
  // an operation is a line of the model (a linear layer, a layer norm), its
  // ops summed over the block instances that run it.
  void printBreakdown(const Case &c) {
    std::map<std::string, std::pair<double, double>> bySource;
    std::map<std::string, std::set<std::string>> kinds;
    double totals[2] = {0, 0};
    std::unique_ptr<CompiledModel> fusedModel =
        build(c, "profiled_fused", {"--profile"});
    std::unique_ptr<CompiledModel> unfusedModel =
        build(c, "profiled_unfused", {"--profile", "--no-fuse"});
    letThreadsSettle();
    std::vector<std::vector<OpTime>> profiles = profileInterleaved(
        {fusedModel.get(), unfusedModel.get()}, options.profileSteps,
        Statistic::median);
    for (bool fused : {true, false}) {
      for (const OpTime &op : profiles[fused ? 0 : 1]) {
        auto &entry = bySource[op.source];
        (fused ? entry.first : entry.second) += op.msPerStep;
        totals[fused ? 0 : 1] += op.msPerStep;
        if (op.msPerStep > 0)
          kinds[op.source].insert(op.kind);
      }
    }
    std::vector<std::pair<std::string, std::pair<double, double>>> rows(
        bySource.begin(), bySource.end());
    std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
      return a.second.first > b.second.first;
    });
    std::printf("\n%s: a step by operation of the model, ms per step, median "
                "of %d steps of each build in turn (loomc --profile):\n",
                c.name.c_str(), options.profileSteps);
    std::printf("  %-38s %10s %10s %8s  %s\n", "operation (source)", "fused",
                "unfused", "u/f", "ops");
    for (const auto &[source, times] : rows) {
      if (times.first < 0.005 && times.second < 0.005)
        continue;
      std::string ops;
      for (const std::string &kind : kinds[source])
        ops += (ops.empty() ? "" : ", ") + kind;
      std::printf("  %-38s %10.3f %10.3f %8.3f  %s\n", source.c_str(),
                  times.first, times.second,
                  times.first > 0 ? times.second / times.first : 0.0, ops.c_str());
    }
    std::printf("  %-38s %10.3f %10.3f %8.3f\n", "total", totals[0], totals[1],
                totals[1] / totals[0]);
  }

  // Every product shape of a linear layer of the config, timed inside a
  // step of bench/linear.loom (or linear_transposed.loom) built with
  // --profile, against cblas_sgemm at the same shape and thread count.
  void printProducts(const Case &c) {
    const Gpt2Sizes &s = *c.gpt2;
    int64_t rows = s.batch * s.seq;
    struct Layer {
      const char *name;
      int64_t k, n;
      bool transposed;
    };
    const Layer layers[] = {
        {"attn.c_attn", s.dim, 3 * s.dim, false},
        {"attn.c_proj", s.dim, s.dim, false},
        {"mlp.c_fc", s.dim, 4 * s.dim, false},
        {"mlp.c_proj", 4 * s.dim, s.dim, false},
        {"lm_head (tied wte)", s.dim, s.vocab, true},
    };
    int threads = omp_get_max_threads();
    std::printf("\n%s: matrix products, GFLOP/s (fastest of %d), Loom against "
                "%s, %d threads:\n",
                c.name.c_str(), options.profileSteps, openblasDescription().c_str(),
                threads);
    std::printf("  %-20s %-28s %9s %9s %8s %10s\n", "layer", "product", "loom",
                "openblas", "loom/ob", "loom/peak");
    double loomTime = 0, blasTime = 0, totalFlops = 0;
    for (const Layer &layer : layers) {
      Case linear{c.name + "_" + std::to_string(layer.k) + "x" + std::to_string(layer.n),
                  kSourceDir + (layer.transposed ? "/bench/linear_transposed.loom"
                                                 : "/bench/linear.loom"),
                  {"m=" + std::to_string(rows), "k=" + std::to_string(layer.k),
                   "n=" + std::to_string(layer.n)},
                  std::nullopt};
      std::unique_ptr<CompiledModel> model = build(linear, "products", {"--profile"});
      letThreadsSettle();
      std::vector<OpTime> ops =
          profileInterleaved({model.get()}, options.profileSteps, Statistic::fastest)
              .front();
      letThreadsSettle();
      for (const OpTime &op : ops) {
        if (!op.product || op.msPerStep <= 0 ||
            op.source.find("forward_backward") == std::string::npos)
          continue;
        double loom = op.product->flops() / (op.msPerStep * 1e6);
        double blas = openblasRate(*op.product, threads, options.profileSteps);
        totalFlops += op.product->flops();
        loomTime += op.product->flops() / loom;
        blasTime += op.product->flops() / blas;
        std::printf("  %-20s %-28s %9.1f %9.1f %8.3f %10.3f\n", layer.name,
                    op.product->text().c_str(), loom, blas, loom / blas,
                    loom / peak.gflops);
      }
    }
    std::printf("  %-49s %9s %9s %8.3f %10.3f\n", "all of them, by time", "", "",
                blasTime / loomTime, totalFlops / loomTime / peak.gflops);
  }

  Options options;
  std::string dir;
  std::vector<std::unique_ptr<CompiledModel>> models;
  MachinePeak peak;
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
  if (std::getenv("OPENBLAS_CORETYPE"))
    std::fprintf(stderr, "loom-bench: note: OPENBLAS_CORETYPE=%s limits "
                         "OpenBLAS to that kernel; unset it for its best\n",
                 std::getenv("OPENBLAS_CORETYPE"));
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

  Bench bench(options, dir.str().str());
  std::vector<Case> cases = casesOf(options);
  for (const Case &c : cases)
    bench.registerSteps(c);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  bench.printMachinePeak();
  bench.printRatios(cases, reporter);
  bench.models.clear();
  for (const Case &c : cases) {
    if (options.breakdown)
      bench.printBreakdown(c);
    if (options.products && c.gpt2)
      bench.printProducts(c);
  }
  benchmark::Shutdown();
  llvm::sys::fs::remove_directories(dir);
  return 0;
}
