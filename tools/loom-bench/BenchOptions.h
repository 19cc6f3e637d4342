//===- BenchOptions.h - loom-bench's flags and the cases they name -*- C++
//-*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_BENCHOPTIONS_H
#define LOOM_TOOLS_LOOMBENCH_BENCHOPTIONS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loomc::bench {

// The repository the benchmark's models come from.
const std::string &sourceDir();

// The sizes of a GPT-2 config (models/gpt2.loom).
struct Gpt2Sizes {
  int64_t vocab, layers, dim, heads, seq, batch;

  // FLOP per training step by the usual formula, so that figures compare
  // with PyTorch's and llm.c's: 6·N·B·T for the N non-embedding
  // parameters, 6·V·C·B·T for the tied output layer, 6·L·B·T²·C for causal
  // attention.
  double modelFlops() const;
  std::vector<std::string> defines() const;
};

// One model at one size: every variant of it is built and timed.
struct Case {
  std::string name;
  std::string model;
  std::vector<std::string> defines;
  std::optional<Gpt2Sizes> gpt2;
};

struct Options {
  std::string model = sourceDir() + "/models/mlp.loom";
  bool modelGiven = false;
  std::string loomc;
  // -D NAME=VALUE for every build, and one constant swept over values.
  std::vector<std::string> defines;
  std::string sweepName;
  std::vector<std::string> sweepValues;
  std::vector<std::string> configs;
  bool breakdown = false, products = false, remat = false;
  // The fused step with every layer compiled on its own (loomc
  // --unroll-layers), and with every block recomputed (--remat-blocks).
  bool unrolled = false, rematBlocks = false;
  // The step with bf16 products (loomc --precision=bf16), fused and
  // unfused, where loomc builds it for this CPU.
  bool bf16 = false;
  // The fused step, and with --products every product, also built with
  // tilings measured by loomc --tune, against the rules' (every other
  // build of loom-bench tiles by the rules: loomc --no-tuning).
  bool tuned = false;
  // Time the inference entry points instead of the training step.
  bool decode = false;
  int profileSteps = 9;
};

enum class Parsed { run, help, error };

// Parses loom-bench's own flags and removes them from argv, leaving Google
// Benchmark's. Prints what is wrong on `error`.
Parsed parseOptions(int &argc, char **argv, Options &options);
void printUsage(const char *program);

// The cases the options name: the GPT-2 configs, then the model with its
// -D and --sweep values.
std::vector<Case> casesOf(const Options &options);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_BENCHOPTIONS_H
