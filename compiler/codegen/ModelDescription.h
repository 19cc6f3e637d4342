//===- ModelDescription.h - The tensor table a model's executable uses -*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_MODELDESCRIPTION_H
#define LOOM_COMPILER_CODEGEN_MODELDESCRIPTION_H

#include "loom/runtime/abi.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"
#include <string>
#include <vector>

namespace loom {

struct TensorDescription {
  std::string name;
  loom_role role;
  loom_dtype dtype;
  llvm::SmallVector<int64_t> shape;
  loom_init_kind init = LOOM_INIT_ZEROS;
  double initA = 0.0, initB = 0.0;
  int64_t indexBound = 0;
};

// What the runtime needs to know about a compiled model: its tensor table
// (in the order of train_step's buffer arguments), the hyperparameters the
// step reads, and where each argument of eval_loss is in the table.
struct ModelDescription {
  std::string modelName;
  std::string optimizer;
  bool fused = true;
  std::vector<TensorDescription> tensors;
  std::vector<std::string> hyperNames;
  std::vector<unsigned> forwardArguments;
  // 2·M·N·K summed over the matrix products of train_step.
  double trainStepFlops = 0.0;
};

// Reads the description from a module holding @train_step and @eval_loss
// (after the loom-build-train-step pass).
mlir::FailureOr<ModelDescription> describeModel(mlir::ModuleOp module,
                                                bool fused,
                                                llvm::StringRef optimizer);

} // namespace loom

#endif // LOOM_COMPILER_CODEGEN_MODELDESCRIPTION_H
