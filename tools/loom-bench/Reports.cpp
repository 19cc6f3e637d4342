//===- Reports.cpp - The variants of each case, timed and reported --------===//

#include "Reports.h"

#include "MemoryBandwidth.h"
#include "PytorchBaseline.h"

#include "BlasBaseline.h"
#include "StepProfile.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <iterator>
#include <omp.h>
#include <set>
#include <thread>
#include <unistd.h>

using namespace loomc::bench;

// OpenMP's workers (Loom's) and OpenBLAS's spin for a while after their
// last parallel region before they sleep; measured right after the other,
// either would share the cores with them. A pause lets both settle.
static void letThreadsSettle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

RatioReporter::RatioReporter()
    : ConsoleReporter(isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {}

void RatioReporter::ReportRuns(const std::vector<Run> &runs) {
  for (const Run &run : runs)
    if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
      medians[run.run_name.function_name] = run.GetAdjustedRealTime();
  ConsoleReporter::ReportRuns(runs);
}

std::unique_ptr<CompiledModel> Bench::build(const Case &c,
                                            const std::string &variant,
                                            std::vector<std::string> extra) {
  std::vector<std::string> args;
  for (const std::string &definition : c.defines)
    args.insert(args.end(), {"-D", definition});
  args.insert(args.end(), extra.begin(), extra.end());
  // The rules' tilings, whatever this machine's tuning cache holds, except
  // where a build asks for a table.
  if (std::find(extra.begin(), extra.end(), "--tuning") == extra.end())
    args.push_back("--no-tuning");
  std::string library = dir + "/" + c.name + "_" + variant + ".so";
  std::string error;
  std::unique_ptr<CompiledModel> model =
      CompiledModel::build(options.loomc, c.model, args, library, error);
  if (!model)
    std::fprintf(stderr, "loom-bench: error: %s\n", error.c_str());
  return model;
}

namespace {
// The fused step built with one more loomc flag, reported against the
// fused step: its variant name and the flag.
struct ExtraBuild {
  const char *variant, *flag;
};
constexpr ExtraBuild kExtraBuilds[] = {{"fused_remat", "--remat"},
                                       {"fused_remat_blocks", "--remat-blocks"},
                                       {"fused_unrolled", "--unroll-layers"}};
} // namespace

std::vector<std::string> Bench::tuningFlags(const std::string &name) const {
  return {"--tune", "--tuning", dir + "/" + name + "-tuning.json"};
}

// Why loomc refuses --precision=bf16 for this CPU (its message), or empty.
std::string Bench::bf16Unavailable() {
  std::string log = dir + "/bf16-probe.log";
  std::string command = "'" + options.loomc +
                        "' --print-pipeline --precision=bf16 > /dev/null 2> '" +
                        log + "'";
  if (std::system(command.c_str()) == 0)
    return "";
  std::string message;
  if (FILE *file = std::fopen(log.c_str(), "r")) {
    char line[1024];
    while (std::fgets(line, sizeof line, file))
      message += line;
    std::fclose(file);
  }
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  return message.empty() ? "loomc --precision=bf16 failed" : message;
}

bool Bench::registerSteps(const Case &c) {
  std::vector<std::pair<std::string, std::vector<std::string>>> variants = {
      {"fused", {}}, {"unfused", {"--no-fuse"}}};
  const bool asked[] = {options.remat, options.rematBlocks, options.unrolled};
  static_assert(std::size(asked) == std::size(kExtraBuilds));
  for (size_t i = 0; i < std::size(kExtraBuilds); ++i)
    if (asked[i])
      variants.push_back({kExtraBuilds[i].variant, {kExtraBuilds[i].flag}});
  if (options.bf16) {
    // Where loomc refuses bf16 products for this CPU, it says why; the
    // rest of the run goes on without them.
    std::string why = bf16Unavailable();
    bf16Built = why.empty();
    if (why.empty()) {
      variants.push_back({"bf16_fused", {"--precision=bf16"}});
      variants.push_back({"bf16_unfused", {"--precision=bf16", "--no-fuse"}});
    } else if (!bf16NoteGiven) {
      std::fprintf(stderr, "loom-bench: note: no bf16 steps: %s\n", why.c_str());
      bf16NoteGiven = true;
    }
  }
  if (options.tuned)
    variants.push_back({"fused_tuned", tuningFlags(c.name)});
  for (const auto &[variant, flags] : variants) {
    std::unique_ptr<CompiledModel> model = build(c, variant, flags);
    if (!model)
      return false;
    CompiledModel *raw = model.get();
    plans[c.name + "/" + variant] = {raw->info().arena_bytes,
                                     raw->plannedBytes()};
    double flops = c.gpt2 ? c.gpt2->modelFlops() : raw->info().train_step_flops;
    stepFlops[c.name] = flops;
    std::string name = "train_step/" + c.name + "/" + variant;
    benchmark::RegisterBenchmark(
        name.c_str(),
        [raw, flops](benchmark::State &state) {
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
          state.counters[tokens ? "tokens/s" : "samples/s"] =
              benchmark::Counter(items * state.iterations(),
                                 benchmark::Counter::kIsRate);
          state.counters["GFLOP/s"] = benchmark::Counter(
              flops * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
        })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    models.push_back(std::move(model));
  }
  return true;
}

void Bench::printMachinePeak() {
  letThreadsSettle();
  peak = measureMachinePeak(omp_get_max_threads());
  std::printf(
      "\nthe machine's peak: %.1f GFLOP/s on %d threads (%s multiply-adds "
      "on registers, nothing else)\n",
      peak.gflops, omp_get_max_threads(), peak.instructions.c_str());
  letThreadsSettle();
  MemoryBandwidth memory =
      measureMemoryBandwidth(omp_get_max_threads(), kStreamArrayBytes);
  bandwidth = memory.gbPerSecond;
  std::printf("the machine's memory bandwidth: %.1f GB/s on %d threads (the "
              "fastest of three streaming loops over arrays of %lld MiB: %s)\n",
              bandwidth, omp_get_max_threads(),
              static_cast<long long>(kStreamArrayBytes >> 20), memory.loop.c_str());
  MachinePeak bf16 = measureBf16Peak(omp_get_max_threads());
  bf16Peak = bf16;
  if (bf16.gflops > 0)
    std::printf("the machine's bf16 peak: %.1f GFLOP/s on %d threads (%s on "
                "registers, bf16 products summed in fp32), %.2fx the fp32 peak\n",
                bf16.gflops, omp_get_max_threads(), bf16.instructions.c_str(),
                bf16.gflops / peak.gflops);
  else
    std::printf("the machine's bf16 peak: not measured (%s)\n",
                bf16.instructions.c_str());
}

void Bench::printRatios(const std::vector<Case> &cases,
                        const RatioReporter &reporter) {
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
    std::printf(
        "    %.2f GFLOP/step (%s): %.1f GFLOP/s fused, %.0f %% of the peak",
        flops * 1e-9,
        c.gpt2 ? "6·N·B·T + 6·V·C·B·T + 6·L·B·T²·C"
               : "2·M·N·K for each product of the forward and backward",
        rate, 100 * rate / peak.gflops);
    if (c.gpt2)
      std::printf(", %.0f tokens/s",
                  c.gpt2->batch * c.gpt2->seq / (f->second * 1e-3));
    std::printf("\n");
    auto mib = [](int64_t bytes) {
      return static_cast<double>(bytes) / (1 << 20);
    };
    auto bf = reporter.medians.find(prefix + "/bf16_fused");
    auto bu = reporter.medians.find(prefix + "/bf16_unfused");
    if (bf != reporter.medians.end() && bu != reporter.medians.end()) {
      double bf16Rate = flops / (bf->second * 1e6);
      std::printf("  %-39s bf16 fused %9.3f ms  unfused %9.3f ms  ratio %.3f\n",
                  prefix.c_str(), bf->second, bu->second, bu->second / bf->second);
      std::printf("    fp32 fused / bf16 fused: %.3f; %.1f GFLOP/s, %.0f %% of "
                  "the bf16 peak\n",
                  f->second / bf->second, bf16Rate,
                  bf16Peak.gflops > 0 ? 100 * bf16Rate / bf16Peak.gflops : 0.0);
    }
    if (auto t = reporter.medians.find(prefix + "/fused_tuned");
        t != reporter.medians.end()) {
      double tunedRate = flops / (t->second * 1e6);
      std::printf("    loomc --tune: %.3f ms (fused by the rules / tuned: %.3f); %.1f "
                  "GFLOP/s, %.0f %% of the peak\n",
                  t->second, f->second / t->second, tunedRate,
                  100 * tunedRate / peak.gflops);
    }
    const Plan &fusedPlan = plans[c.name + "/fused"];
    for (const ExtraBuild &extra : kExtraBuilds) {
      auto r = reporter.medians.find(prefix + "/" + extra.variant);
      if (r == reporter.medians.end())
        continue;
      const Plan &plan = plans[c.name + "/" + extra.variant];
      std::printf("    %s: %.3f ms (%.3f x fused); memory plan: "
                  "intermediates %.1f -> %.1f MiB, whole step %.1f -> %.1f "
                  "MiB (%.3f x)\n",
                  extra.flag, r->second, r->second / f->second,
                  mib(fusedPlan.arena), mib(plan.arena), mib(fusedPlan.step),
                  mib(plan.step), static_cast<double>(plan.step) / fusedPlan.step);
    }
  }
}

void Roofline::add(const OpTime &op, double peakGflops, double bandwidthGBs) {
  double compute = peakGflops > 0 ? op.flops / (peakGflops * 1e6) : 0;
  double memory = bandwidthGBs > 0 ? op.bytes / (bandwidthGBs * 1e6) : 0;
  computeMs += compute;
  memoryMs += memory;
  boundMs += std::max(compute, memory);
}

std::string Roofline::describe(double actualMs) const {
  if (boundMs <= 0 || actualMs <= 0)
    return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f %% %s", 100 * boundMs / actualMs,
                computeMs >= memoryMs ? "compute" : "memory");
  return text;
}

bool Bench::printBreakdown(const Case &c, bool bf16) {
  std::map<std::string, std::pair<double, double>> bySource;
  std::map<std::string, std::set<std::string>> kinds;
  double totals[2] = {0, 0};
  std::vector<std::string> fusedFlags = {"--profile"};
  if (bf16)
    fusedFlags.push_back("--precision=bf16");
  std::vector<std::string> unfusedFlags = fusedFlags;
  unfusedFlags.push_back("--no-fuse");
  std::string prefix = bf16 ? "profiled_bf16_" : "profiled_";
  std::unique_ptr<CompiledModel> fusedModel = build(c, prefix + "fused", fusedFlags);
  std::unique_ptr<CompiledModel> unfusedModel =
      build(c, prefix + "unfused", unfusedFlags);
  if (!fusedModel || !unfusedModel)
    return false;
  letThreadsSettle();
  std::vector<std::vector<OpTime>> profiles =
      profileInterleaved({fusedModel.get(), unfusedModel.get()},
                         options.profileSteps, Statistic::median);
  // The fused build's ops against their roofline: the least time the FMA
  // peak allows their products and the memory bandwidth their tensors,
  // whichever is longer, summed over the line's ops.
  std::map<std::string, Roofline> rooflines;
  const MachinePeak &ceiling = bf16 ? bf16Peak : peak;
  for (bool fused : {true, false}) {
    for (const OpTime &op : profiles[fused ? 0 : 1]) {
      auto &entry = bySource[op.source];
      (fused ? entry.first : entry.second) += op.msPerStep;
      totals[fused ? 0 : 1] += op.msPerStep;
      if (op.msPerStep > 0)
        kinds[op.source].insert(op.kind);
      if (fused)
        rooflines[op.source].add(op, ceiling.gflops, bandwidth);
    }
  }
  std::vector<std::pair<std::string, std::pair<double, double>>> rows(
      bySource.begin(), bySource.end());
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.first > b.second.first;
  });
  std::printf("\n%s%s: a step by operation of the model, ms per step, median "
              "of %d steps of each build in turn (loomc --profile%s):\n",
              c.name.c_str(), bf16 ? ", bf16 products" : "", options.profileSteps,
              bf16 ? " --precision=bf16" : "");
  std::printf("  (bound: the fused ops' least time at the %s peak for their "
              "products or at the memory bandwidth for their tensors, "
              "whichever is longer, as a share of their time; over 100 %% "
              "when the tensors stayed in cache)\n",
              bf16 ? "bf16" : "FMA");
  std::printf("  %-38s %10s %10s %8s %14s  %s\n", "operation (source)", "fused",
              "unfused", "u/f", "bound", "ops");
  Roofline whole;
  for (const auto &[source, times] : rows) {
    const Roofline &roofline = rooflines[source];
    whole.computeMs += roofline.computeMs;
    whole.memoryMs += roofline.memoryMs;
    whole.boundMs += roofline.boundMs;
    if (times.first < 0.005 && times.second < 0.005)
      continue;
    std::string ops;
    for (const std::string &kind : kinds[source])
      ops += (ops.empty() ? "" : ", ") + kind;
    std::printf("  %-38s %10.3f %10.3f %8.3f %14s  %s\n", source.c_str(),
                times.first, times.second,
                times.first > 0 ? times.second / times.first : 0.0,
                roofline.describe(times.first).c_str(), ops.c_str());
  }
  std::printf("  %-38s %10.3f %10.3f %8.3f %14s\n", "total", totals[0], totals[1],
              totals[1] / totals[0], whole.describe(totals[0]).c_str());
  return true;
}

bool Bench::printProducts(const Case &c, bool bf16) {
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
  // Loom's rate of every product of every layer's training step first,
  // then the baseline's at the same shapes.
  struct Row {
    const char *layer;
    ProductShape shape;
    double loom, tuned;
  };
  bool tuned = options.tuned && !bf16;
  std::vector<Row> measured;
  for (const Layer &layer : layers) {
    Case linear{
        c.name + "_" + std::to_string(layer.k) + "x" + std::to_string(layer.n),
        sourceDir() + (layer.transposed ? "/bench/linear_transposed.loom"
                                        : "/bench/linear.loom"),
        {"m=" + std::to_string(rows), "k=" + std::to_string(layer.k),
         "n=" + std::to_string(layer.n)},
        std::nullopt};
    std::vector<std::string> flags = {"--profile"};
    if (bf16)
      flags.push_back("--precision=bf16");
    std::unique_ptr<CompiledModel> model =
        build(linear, bf16 ? "products_bf16" : "products", flags);
    if (!model)
      return false;
    // With --tuned, the same layer with the tilings loomc --tune measures,
    // profiled in the same rounds.
    std::unique_ptr<CompiledModel> tunedModel;
    if (tuned) {
      std::vector<std::string> tunedFlags = flags;
      for (const std::string &flag : tuningFlags(c.name + "-products"))
        tunedFlags.push_back(flag);
      tunedModel = build(linear, "products_tuned", tunedFlags);
      if (!tunedModel)
        return false;
    }
    std::vector<CompiledModel *> profiled = {model.get()};
    if (tunedModel)
      profiled.push_back(tunedModel.get());
    letThreadsSettle();
    std::vector<std::vector<OpTime>> ops =
        profileInterleaved(profiled, options.profileSteps, Statistic::fastest);
    letThreadsSettle();
    for (size_t i = 0; i < ops[0].size(); ++i) {
      const OpTime &op = ops[0][i];
      if (!op.product || op.msPerStep <= 0 ||
          op.source.find("forward_backward") == std::string::npos)
        continue;
      double rate = op.product->flops() / (op.msPerStep * 1e6);
      double tunedRate = 0;
      if (tunedModel && i < ops[1].size() && ops[1][i].source == op.source &&
          ops[1][i].msPerStep > 0)
        tunedRate = op.product->flops() / (ops[1][i].msPerStep * 1e6);
      measured.push_back({layer.name, *op.product, rate, tunedRate});
    }
  }

  std::string baseline;
  std::map<ProductShape, double> baselineRates;
  if (bf16) {
    std::vector<ProductShape> shapes;
    for (const Row &row : measured)
      shapes.push_back(row.shape);
    PytorchRates pytorch = pytorchBf16Rates(shapes, threads, options.profileSteps);
    if (!pytorch.why.empty())
      std::fprintf(stderr, "loom-bench: note: no oneDNN baseline: %s\n",
                   pytorch.why.c_str());
    baseline = pytorch.why.empty() ? pytorch.description : "nothing";
    baselineRates = std::move(pytorch.gflops);
  } else {
    baseline = openblasDescription();
    for (const Row &row : measured)
      baselineRates[row.shape] = openblasRate(row.shape, threads, options.profileSteps);
  }
  const MachinePeak &ceiling = bf16 ? bf16Peak : peak;
  const char *against = bf16 ? "onednn" : "openblas";
  std::printf("\n%s: %smatrix products, GFLOP/s (fastest of %d), Loom against "
              "%s, %d threads:\n",
              c.name.c_str(), bf16 ? "bf16 " : "", options.profileSteps,
              baseline.c_str(), threads);
  std::printf("  %-20s %-28s %9s %9s %8s %10s", "layer", "product", "loom",
              against, bf16 ? "loom/dnn" : "loom/ob",
              bf16 ? "loom/bf16 peak" : "loom/peak");
  if (tuned)
    std::printf(" %9s %8s %11s", "tuned", "tuned/ob", "tuned/loom");
  std::printf("\n");
  double tunedTime = 0;
  double loomTime = 0, baselineTime = 0, totalFlops = 0;
  bool everyBaseline = true;
  for (const Row &row : measured) {
    auto found = baselineRates.find(row.shape);
    double other = found == baselineRates.end() ? 0 : found->second;
    everyBaseline = everyBaseline && other > 0;
    totalFlops += row.shape.flops();
    loomTime += row.shape.flops() / row.loom;
    if (other > 0)
      baselineTime += row.shape.flops() / other;
    char otherText[32] = "-", ratioText[32] = "-";
    if (other > 0) {
      std::snprintf(otherText, sizeof(otherText), "%.1f", other);
      std::snprintf(ratioText, sizeof(ratioText), "%.3f", row.loom / other);
    }
    char peakText[32] = "-";
    if (ceiling.gflops > 0)
      std::snprintf(peakText, sizeof(peakText), "%.3f", row.loom / ceiling.gflops);
    std::printf("  %-20s %-28s %9.1f %9s %8s %10s", row.layer,
                row.shape.text().c_str(), row.loom, otherText, ratioText, peakText);
    if (tuned) {
      char tunedRatio[32] = "-";
      if (other > 0 && row.tuned > 0)
        std::snprintf(tunedRatio, sizeof(tunedRatio), "%.3f", row.tuned / other);
      std::printf(" %9.1f %8s %11.3f", row.tuned, tunedRatio,
                  row.tuned > 0 ? row.tuned / row.loom : 0.0);
      tunedTime += row.tuned > 0 ? row.shape.flops() / row.tuned : 1e30;
    }
    std::printf("\n");
  }
  char ratioText[32] = "-", peakText[32] = "-";
  if (everyBaseline && loomTime > 0)
    std::snprintf(ratioText, sizeof(ratioText), "%.3f", baselineTime / loomTime);
  if (ceiling.gflops > 0 && loomTime > 0)
    std::snprintf(peakText, sizeof(peakText), "%.3f", totalFlops / loomTime / ceiling.gflops);
  std::printf("  %-49s %9s %9s %8s %10s", "all of them, by time", "", "",
              ratioText, peakText);
  if (tuned && tunedTime > 0 && tunedTime < 1e29) {
    char tunedRatio[32] = "-";
    if (everyBaseline)
      std::snprintf(tunedRatio, sizeof(tunedRatio), "%.3f", baselineTime / tunedTime);
    std::printf(" %9s %8s %11.3f", "", tunedRatio, loomTime / tunedTime);
  }
  std::printf("\n");
  return true;
}
