//===- CompiledModel.h - A model compiled by loomc, loaded for timing -*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_COMPILEDMODEL_H
#define LOOM_TOOLS_LOOMBENCH_COMPILEDMODEL_H

extern "C" {
#include "loom/runtime/abi.h"
#include "tensors.h"
}

#include <memory>
#include <string>
#include <vector>

namespace loomc::bench {

// A shared library built by `loomc --shared` and loaded with its own copy of
// the abi.h symbols, with the tensor table allocated, initialized and one
// batch of synthetic data in its inputs.
class CompiledModel {
public:
  // Compiles `modelPath` with `loomcArgs` into `libraryPath` and loads it.
  // On failure returns null and sets `error`.
  static std::unique_ptr<CompiledModel>
  build(const std::string &loomc, const std::string &modelPath,
        const std::vector<std::string> &loomcArgs,
        const std::string &libraryPath, std::string &error);
  ~CompiledModel();

  // One training step on the loaded batch: the forward and backward pass
  // and an AdamW update.
  float trainStep();
  const loom_model_info &info() const { return *model; }
  // Bytes a step needs by loomc's memory plan: the tensor table with AdamW's
  // state, and the largest arena of intermediates.
  int64_t plannedBytes() const;

private:
  CompiledModel() = default;

  void *handle = nullptr;
  const loom_model_info *model = nullptr;
  double (*forwardBackward)(void *const *) = nullptr;
  void (*update)(int32_t, void *const *, const float *, float, int64_t,
                 const int64_t *) = nullptr;
  int32_t optimizer = -1;
  loom_tensors tensors{};
  std::vector<float> hyper;
  int64_t stepNumber = 0;
};

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_COMPILEDMODEL_H
