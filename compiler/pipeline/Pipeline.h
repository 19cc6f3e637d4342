//===- Pipeline.h - The stages from a model to native code ------*- C++ -*-===//

#ifndef LOOM_COMPILER_PIPELINE_PIPELINE_H
#define LOOM_COMPILER_PIPELINE_PIPELINE_H

#include "compiler/codegen/ModelDescription.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include <functional>
#include <optional>
#include <string>

namespace loomc {

// The stages of compilation in order; each names the IR after it. The
// driver's --emit=NAME stops after the stage and prints it.
enum class Stage {
  loom,       // the parsed forward graph
  grad,       // after autodiff and the optimizer update
  fused,      // after weight-bias-activation fusion (unchanged with --no-fuse)
  linalg,     // loom ops lowered to linalg on tensors
  tiled,      // tiled, fused into loop nests and vectorized, still on tensors
  bufferized, // on buffers
  llvm,       // the llvm dialect
  llvmIR,     // LLVM IR (after LLVM's optimizations)
  assembly,   // the host's assembly
};

std::optional<Stage> parseStage(llvm::StringRef name);
llvm::StringRef stageName(Stage stage);
// "loom, grad, fused, ..." for messages.
std::string stageNames();

struct PipelineOptions {
  bool fuse = true;
  // Recompute cheap forward values in the backward pass instead of keeping
  // them (-loom-rematerialize): less memory, a little more compute.
  bool remat = false;
  // Time every loom op at run time (loom-lower-to-linalg{profile}).
  bool profile = false;
  // f32 lanes of the target's vector registers (16 for AVX-512, 8 for AVX2).
  int64_t vectorWidth = 16;
  // Called with each MLIR stage's name and module after it runs (for
  // --dump-ir and --emit).
  std::function<void(Stage, mlir::ModuleOp)> afterStage;
};

// Runs the MLIR stages up to and including `last` (at most Stage::llvm).
// When the grad stage has run and `description` is given, it receives the
// model's tensor table. Errors are reported through the context's
// diagnostic handler.
mlir::LogicalResult runMLIRStages(mlir::ModuleOp module,
                                  const PipelineOptions &options, Stage last,
                                  ModelDescription *description = nullptr);

} // namespace loomc

#endif // LOOM_COMPILER_PIPELINE_PIPELINE_H
