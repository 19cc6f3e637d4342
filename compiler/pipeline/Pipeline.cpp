//===- Pipeline.cpp - The stages from a model to native code --------------===//
//
// The whole lowering in one place, stage by stage. Each numbered stage is a
// pass pipeline run on the module; the driver may stop after any of them.
//
//===----------------------------------------------------------------------===//

#include "compiler/pipeline/Pipeline.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using mlir::LogicalResult;
using mlir::ModuleOp;
using mlir::OpPassManager;

namespace {
struct StageInfo {
  loom::Stage stage;
  llvm::StringLiteral name;
};
constexpr StageInfo kStages[] = {
    {loom::Stage::loom, "loom"},
    {loom::Stage::grad, "grad"},
    {loom::Stage::fused, "fused"},
    {loom::Stage::linalg, "linalg"},
    {loom::Stage::tiled, "tiled"},
    {loom::Stage::bufferized, "bufferized"},
    {loom::Stage::llvm, "llvm"},
    {loom::Stage::llvmIR, "llvm-ir"},
    {loom::Stage::assembly, "asm"},
};
} // namespace

std::optional<loom::Stage> loom::parseStage(llvm::StringRef name) {
  for (const StageInfo &info : kStages)
    if (info.name == name)
      return info.stage;
  return std::nullopt;
}

llvm::StringRef loom::stageName(Stage stage) {
  for (const StageInfo &info : kStages)
    if (info.stage == stage)
      return info.name;
  return "?";
}

std::string loom::stageNames() {
  std::string names;
  for (const StageInfo &info : kStages)
    names += (names.empty() ? "" : ", ") + info.name.str();
  return names;
}

// Runs `populate`'s passes on `module` as stage `stage`.
static LogicalResult runStage(ModuleOp module, loom::Stage stage,
                              const loom::PipelineOptions &options,
                              llvm::function_ref<void(OpPassManager &)> populate) {
  mlir::PassManager pm(module.getContext());
  populate(pm);
  if (failed(pm.run(module)))
    return mlir::failure();
  if (options.afterStage)
    options.afterStage(stage, module);
  return mlir::success();
}

LogicalResult loom::runMLIRStages(ModuleOp module, const PipelineOptions &options,
                                  Stage last) {
  if (options.afterStage)
    options.afterStage(Stage::loom, module);
  if (last == Stage::loom)
    return mlir::success();

  // 1. Autodiff and the training step: forward → forward_grad → train_step.
  if (failed(runStage(module, Stage::grad, options, [&](OpPassManager &pm) {
        pm.addPass(mlir::loom::createLoomAutodiff());
        mlir::loom::LoomBuildTrainStepOptions trainStep;
        trainStep.optimizer = options.optimizer;
        pm.addPass(mlir::loom::createLoomBuildTrainStep(trainStep));
        pm.addPass(mlir::createCSEPass());
      })))
    return mlir::failure();
  if (last == Stage::grad)
    return mlir::success();

  // 2. Weight-bias-activation fusion, forward and backward.
  if (failed(runStage(module, Stage::fused, options, [&](OpPassManager &pm) {
        if (options.fuse)
          pm.addPass(mlir::loom::createLoomFuseLinear());
      })))
    return mlir::failure();
  if (last == Stage::fused)
    return mlir::success();

  return module.emitError("stage '") << stageName(last) << "' is not built yet";
}
