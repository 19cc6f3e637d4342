//===- Pipeline.cpp - The stages from a model to native code --------------===//
//
// The whole lowering in one place, stage by stage. Each numbered stage is a
// pass pipeline run on the module; the driver may stop after any of them.
//
//===----------------------------------------------------------------------===//

#include "compiler/pipeline/Pipeline.h"
#include "compiler/codegen/Passes.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FormatVariadic.h"

using mlir::LogicalResult;
using mlir::ModuleOp;
using mlir::OpPassManager;

namespace {
struct StageInfo {
  loomc::Stage stage;
  llvm::StringLiteral name;
};
constexpr StageInfo kStages[] = {
    {loomc::Stage::loom, "loom"},
    {loomc::Stage::grad, "grad"},
    {loomc::Stage::fused, "fused"},
    {loomc::Stage::linalg, "linalg"},
    {loomc::Stage::tiled, "tiled"},
    {loomc::Stage::bufferized, "bufferized"},
    {loomc::Stage::llvm, "llvm"},
    {loomc::Stage::llvmIR, "llvm-ir"},
    {loomc::Stage::assembly, "asm"},
};
} // namespace

std::optional<loomc::Stage> loomc::parseStage(llvm::StringRef name) {
  for (const StageInfo &info : kStages)
    if (info.name == name)
      return info.stage;
  return std::nullopt;
}

llvm::StringRef loomc::stageName(Stage stage) {
  for (const StageInfo &info : kStages)
    if (info.stage == stage)
      return info.name;
  return "?";
}

std::string loomc::stageNames() {
  std::string names;
  for (const StageInfo &info : kStages)
    names += (names.empty() ? "" : ", ") + info.name.str();
  return names;
}

// Runs `populate`'s passes on `module` as stage `stage`.
static LogicalResult runStage(ModuleOp module, loomc::Stage stage,
                              const loomc::PipelineOptions &options,
                              llvm::function_ref<void(OpPassManager &)> populate) {
  mlir::PassManager pm(module.getContext());
  populate(pm);
  if (failed(pm.run(module)))
    return mlir::failure();
  if (options.afterStage)
    options.afterStage(stage, module);
  return mlir::success();
}

// Runs a textual pass pipeline on the module as a stage; `loom-opt
// --pass-pipeline='builtin.module(TEXT)'` runs the same passes.
static LogicalResult runPipelineStage(ModuleOp module, loomc::Stage stage,
                                      const loomc::PipelineOptions &options,
                                      llvm::StringRef pipeline) {
  mlir::PassManager pm(module.getContext());
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (failed(mlir::parsePassPipeline(pipeline, pm, errorStream)))
    return module.emitError("internal error: bad pipeline for stage '")
           << loomc::stageName(stage) << "': " << error;
  if (failed(pm.run(module)))
    return mlir::failure();
  if (options.afterStage)
    options.afterStage(stage, module);
  return mlir::success();
}

// Registers every dialect, interface and pass the stages use, so that the
// textual pipelines resolve and bufferization finds its interfaces.
static void prepareContext(mlir::MLIRContext *context) {
  static bool registered = [] {
    mlir::registerAllPasses();
    loomc::registerLoomCodegenPasses();
    mlir::loom::registerLoomPasses();
    return true;
  }();
  (void)registered;
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  context->appendDialectRegistry(registry);
}

LogicalResult loomc::runMLIRStages(ModuleOp module, const PipelineOptions &options,
                                  Stage last, ModelDescription *description) {
  prepareContext(module.getContext());
  if (options.afterStage)
    options.afterStage(Stage::loom, module);
  if (last == Stage::loom)
    return mlir::success();

  // 1. Autodiff and the training step: forward → forward_grad →
  //    forward_backward, grad_norm, update_sgd, update_adamw, eval_loss.
  if (failed(runStage(module, Stage::grad, options, [&](OpPassManager &pm) {
        pm.addPass(mlir::loom::createLoomAutodiff());
        pm.addPass(mlir::loom::createLoomBuildTrainStep());
        pm.addPass(mlir::createCSEPass());
      })))
    return mlir::failure();
  if (description) {
    mlir::FailureOr<ModelDescription> described =
        describeModel(module, options.fuse);
    if (failed(described))
      return mlir::failure();
    *description = std::move(*described);
  }
  if (last == Stage::grad)
    return mlir::success();

  // 2. Weight-bias-activation fusion, forward and backward; with --remat,
  //    recomputation of cheap saved values (after fusion, which decides
  //    which pre-activations a fused layer returns).
  if (failed(runStage(module, Stage::fused, options, [&](OpPassManager &pm) {
        if (options.fuse)
          pm.addPass(mlir::loom::createLoomFuseLinear());
        if (options.remat)
          pm.addPass(mlir::loom::createLoomRematerialize());
      })))
    return mlir::failure();
  if (last == Stage::fused)
    return mlir::success();

  // 3. loom ops to linalg on tensors; CSE merges the softmax statistics
  //    that cross-entropy's forward and backward both compute.
  if (failed(runPipelineStage(
          module, Stage::linalg, options,
          options.profile ? "loom-lower-to-linalg{profile=true}, cse, canonicalize"
                          : "loom-lower-to-linalg, cse, canonicalize")))
    return mlir::failure();
  if (last == Stage::linalg)
    return mlir::success();

  // 4. Thread blocks, register tiles and vectors, still on tensors.
  std::string tiling = llvm::formatv(
      "func.func(loom-tile-and-vectorize{{vector-width={0}}), cse",
      options.vectorWidth);
  if (failed(runPipelineStage(module, Stage::tiled, options, tiling)))
    return mlir::failure();
  if (last == Stage::tiled)
    return mlir::success();

  // 5. Buffers. Empty-tensor elimination makes gradients land directly in
  //    their buffers; CSE and canonicalization then fold the self-copies
  //    left by in-place parallel tiles; temporaries get deallocations, and
  //    then fixed places in one arena per function, reused by liveness.
  if (failed(runPipelineStage(
          module, Stage::bufferized, options,
          "eliminate-empty-tensors,"
          "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map},"
          "cse, canonicalize, buffer-deallocation-pipeline, cse, canonicalize,"
          "func.func(loom-plan-memory)")))
    return mlir::failure();
  if (description)
    readMemoryPlan(module, *description);
  if (last == Stage::bufferized)
    return mlir::success();

  // 6. The llvm dialect: vector contractions to FMAs and math to
  //    polynomials, N-D transfers unrolled to 1-D ones, thread blocks to
  //    OpenMP, and functions called with bare pointers (abi.h).
  if (failed(runPipelineStage(
          module, Stage::llvm, options,
          "func.func(loom-lower-vectors),"
          "convert-vector-to-scf{full-unroll=true target-rank=1},"
          "func.func(loom-lower-vectors, loom-expand-strided-copies),"
          "convert-linalg-to-loops,"
          "scf-forall-to-parallel, convert-scf-to-openmp, canonicalize,"
          "expand-strided-metadata, lower-affine, convert-scf-to-cf,"
          "convert-vector-to-llvm, convert-math-to-llvm,"
          // Allocations go through _mlir_memref_to_llvm_alloc, which the
          // entry points define to fail with a message instead of crashing.
          "finalize-memref-to-llvm{use-generic-functions=true},"
          "convert-arith-to-llvm,"
          // Functions before OpenMP: the OpenMP conversion would otherwise
          // convert them itself, with memref descriptors.
          "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
          "convert-openmp-to-llvm,"
          "convert-cf-to-llvm, convert-ub-to-llvm,"
          "reconcile-unrealized-casts")))
    return mlir::failure();
  return mlir::success();
}
