//===- Tuner.h - Timing candidate tilings of a model's products -*- C++ -*-===//
//
// loomc --tune: every matrix product shape of a model (at the linalg stage)
// is compiled once per candidate tiling -- the tiling policy's own plan and
// variations of its k block, thread blocks and register tile -- into one
// shared library, whose kernels are then timed side by side on this CPU;
// the fastest tiling of each shape goes into the tuning table.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_PIPELINE_TUNER_H
#define LOOM_COMPILER_PIPELINE_TUNER_H

#include "compiler/codegen/NativeCode.h"
#include "compiler/codegen/TilingPolicy.h"
#include "compiler/codegen/TuningTable.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace loomc {

// The candidates of a product whose loop nest (as the tiling pass sees its
// largest part of whole blocks) is `nest`: the rules' plan first (as a
// tiling), then the variations that plan differently, each once.
std::vector<codegen::ProductTiling> candidateTilings(const codegen::LoopNest &nest,
                                                     const codegen::TileTarget &target);

struct TunerSetup {
  codegen::TileTarget target;
  TargetSpec targetSpec;
  llvm::TargetMachine *targetMachine = nullptr;
  // Lowers a module of kernels on tensors (linalg) to the llvm dialect with
  // the build's own stages.
  llvm::function_ref<mlir::LogicalResult(mlir::ModuleOp)> lowerToLLVM;
};

// Measures every product shape of `module` (after the linalg stage) and
// puts the fastest tiling of each into `table`, saying on `log` what it
// timed. Fails, having said why, when the kernels cannot be built or run.
mlir::LogicalResult tuneProducts(mlir::ModuleOp module, const TunerSetup &setup,
                                 codegen::TuningTable &table, llvm::raw_ostream &log);

} // namespace loomc

#endif // LOOM_COMPILER_PIPELINE_TUNER_H
