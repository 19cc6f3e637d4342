//===- StepProfile.h - Where a compiled step spends its time ----*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_STEPPROFILE_H
#define LOOM_TOOLS_LOOMBENCH_STEPPROFILE_H

#include "BlasBaseline.h"
#include "CompiledModel.h"

#include <optional>
#include <string>
#include <vector>

namespace loomc::bench {

// One operation of a model built with `loomc --profile`.
struct OpTime {
  std::string kind;     // "fused_linear gelu"
  std::string source;   // "gpt2.loom:33 in forward_backward", without the instance
  std::optional<ProductShape> product; // for a matmul
  double msPerStep = 0;
  // Per step (all its calls): the FLOP of its matrix products and the
  // bytes of its tensors (abi.h's profiled_op_flops and _bytes); 0 when
  // the build does not say.
  double flops = 0, bytes = 0;
};

// How the single steps of a profile combine into one time per operation.
enum class Statistic { median, fastest };

// Times `rounds` single steps of each of `models` in turn (step 1 of every
// model, then step 2 of every model, ...) after one untimed step each, so
// that all of them see the same machine, and returns for every model each
// operation's time, the median or the fastest of its rounds.
std::vector<std::vector<OpTime>>
profileInterleaved(const std::vector<CompiledModel *> &models, int rounds,
                   Statistic statistic);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_STEPPROFILE_H
