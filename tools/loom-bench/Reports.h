//===- Reports.h - The variants of each case, timed and reported -*- C++
//-*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_REPORTS_H
#define LOOM_TOOLS_LOOMBENCH_REPORTS_H

#include "BenchOptions.h"
#include "CompiledModel.h"
#include "MachinePeak.h"
#include "StepProfile.h"

#include <benchmark/benchmark.h>
#include <map>
#include <memory>

namespace loomc::bench {

// Records the median time of every benchmark while printing as usual.
class RatioReporter : public benchmark::ConsoleReporter {
public:
  RatioReporter();
  void ReportRuns(const std::vector<Run> &runs) override;
  std::map<std::string, double> medians;
};

// Builds each case's variants with loomc --shared, registers their
// training steps with Google Benchmark, and prints the reports that follow
// the run. Every function that builds returns false after printing why a
// build failed.
// Operations' least time on this machine, a roofline: the FLOP of their
// products at the FMA (or bf16) peak, the bytes of their tensors at the
// memory bandwidth, whichever is longer, summed over the operations.
struct Roofline {
  double computeMs = 0, memoryMs = 0, boundMs = 0;
  void add(const OpTime &op, double peakGflops, double bandwidthGBs);
  // "83 % compute" (of `actualMs`, and which bound dominates), or "-" when
  // the build gave no costs.
  std::string describe(double actualMs) const;
};

class Bench {
public:
  Bench(Options options, std::string dir)
      : options(std::move(options)), dir(std::move(dir)) {}

  // The fused and unfused step (and --remat's, when asked).
  bool registerSteps(const Case &c);
  // The ceiling every rate below is measured against, on the threads the
  // steps ran on.
  void printMachinePeak();
  // Unfused / fused per case, GFLOP/s against the peak, --remat's time and
  // memory plan against the fused step's.
  void printRatios(const std::vector<Case> &cases,
                   const RatioReporter &reporter);
  // Unloads the steps' libraries (before the reports that build their own).
  void unloadSteps() { models.clear(); }
  // A step by line of the model, fused against unfused (--profile builds),
  // with bf16 products when `bf16`.
  bool printBreakdown(const Case &c, bool bf16 = false);
  // Whether the bf16 steps were built (--bf16, and loomc builds them here).
  bool builtBf16() const { return bf16Built; }
  // Every product shape of a GPT-2 config against OpenBLAS, or with bf16
  // products (`bf16`) against PyTorch's bf16 matmul (oneDNN), and the peak.
  bool printProducts(const Case &c, bool bf16 = false);

private:
  std::string bf16Unavailable();
  // loomc's flags for a build tuned on this machine, its table in the
  // run's directory under `name`.
  std::vector<std::string> tuningFlags(const std::string &name) const;
  bool bf16NoteGiven = false, bf16Built = false;
  std::unique_ptr<CompiledModel> build(const Case &c,
                                       const std::string &variant,
                                       std::vector<std::string> extra);

  // loomc's memory plan of a build: its arena, and the whole step's bytes.
  struct Plan {
    int64_t arena = 0, step = 0;
  };
  Options options;
  std::string dir;
  std::vector<std::unique_ptr<CompiledModel>> models;
  MachinePeak peak, bf16Peak;
  // The memory bandwidth, GB/s, measured with the peaks
  // (MemoryBandwidth.h).
  double bandwidth = 0;
  static constexpr int64_t kStreamArrayBytes = int64_t(256) << 20;
  std::map<std::string, Plan> plans;
  // FLOP of a case's training step, by the formula its GFLOP/s use.
  std::map<std::string, double> stepFlops;
};

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_REPORTS_H
