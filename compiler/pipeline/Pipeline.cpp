//===- Pipeline.cpp - The stages from a model to native code --------------===//
//
// The whole compilation in one place, stage by stage, from the module the
// front end builds to the linked executable. Stages 1-6 are pass pipelines
// built from typed pass constructors (`loomc --print-pipeline` prints them
// in the form `loom-opt --pass-pipeline=` replays); 7-9 are LLVM's. The
// driver may stop after any stage and print its IR.
//
//===----------------------------------------------------------------------===//

#include "compiler/pipeline/Pipeline.h"
#include "compiler/codegen/Linker.h"
#include "compiler/codegen/NativeCode.h"
#include "compiler/codegen/ParallelCodegen.h"
#include "compiler/codegen/Passes.h"
#include "compiler/pipeline/StageOutput.h"
#include "compiler/pipeline/Tuner.h"
#include "compiler/codegen/HostCpu.h"
#include "loom/runtime/abi.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/WithColor.h"
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

using mlir::LogicalResult;
using mlir::ModuleOp;
using mlir::OpPassManager;
using mlir::func::FuncOp;

namespace {
struct StageInfo {
  loomc::Stage stage;
  llvm::StringLiteral name;
};
constexpr StageInfo kStages[] = {
    {loomc::Stage::loom, "loom"},    {loomc::Stage::grad, "grad"},
    {loomc::Stage::fused, "fused"},  {loomc::Stage::linalg, "linalg"},
    {loomc::Stage::tiled, "tiled"},  {loomc::Stage::bufferized, "bufferized"},
    {loomc::Stage::llvm, "llvm"},    {loomc::Stage::llvmIR, "llvm-ir"},
    {loomc::Stage::assembly, "asm"},
};
// The stages that are pass pipelines, in order.
constexpr loomc::Stage kPassStages[] = {
    loomc::Stage::grad,  loomc::Stage::fused,      loomc::Stage::linalg,
    loomc::Stage::tiled, loomc::Stage::bufferized, loomc::Stage::llvm,
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

// What the stages need to know of the target machine.
struct TargetTraits {
  int64_t vectorWidth; // f32 lanes of its widest vectors
  bool amxTiles;       // bf16 products on AMX tiles (it has AMX-BF16)
  // The tiling rules' register tiles and k block for it, and what they
  // were derived from.
  loomc::codegen::TileTarget tiles;
  std::string derivedFrom;
};

// The host's registers, FMA ports and caches when the code is for the
// host; a CPU of one FMA port, 32 KiB of L1d and 1 MiB of L2 (the rules'
// defaults) when it is for another (--target-cpu).
static TargetTraits traitsOf(const llvm::TargetMachine &target,
                             const loomc::PipelineOptions &options) {
  TargetTraits traits{loomc::vectorWidth(target), loomc::hasAmxTiles(target), {}, {}};
  loomc::codegen::CpuDescription cpu;
  if (options.targetCpu.empty()) {
    cpu = loomc::codegen::describeHostCpu(traits.vectorWidth, traits.amxTiles,
                                          traits.derivedFrom);
  } else {
    cpu.vectorWidth = traits.vectorWidth;
    cpu.vectorRegisters = traits.vectorWidth >= 16 ? 32 : 16;
    cpu.amxTiles = traits.amxTiles;
    traits.derivedFrom = "--target-cpu " + options.targetCpu +
                         ": assumed 1 core, 1 FMA port, L1d 32 KiB, L2 1 MiB";
  }
  traits.tiles = loomc::codegen::tileTargetFor(cpu);
  return traits;
}

// The passes of an MLIR stage. `fusion`, when given, receives the fusion
// pass's counts.
static void populateStage(OpPassManager &pm, loomc::Stage stage,
                          const loomc::PipelineOptions &options,
                          const TargetTraits &target,
                          mlir::loom::FusionStatistics *fusion) {
  bool amxTiles = options.precision == loomc::Precision::bf16 && options.amxTiles &&
                  target.amxTiles;
  switch (stage) {
  // 1. Autodiff, inference and the training step: forward → forward_grad
  //    → forward_backward, grad_norm, update_sgd, update_adamw, eval_loss;
  //    forward → prefill, decode.
  case loomc::Stage::grad: {
    // The front end's model function.
    mlir::loom::LoomAutodiffPassOptions autodiff;
    autodiff.functionName = "forward";
    pm.addPass(mlir::loom::createLoomAutodiffPass(autodiff));
    mlir::loom::LoomBuildInferencePassOptions inference;
    inference.functionName = "forward";
    inference.sampleBatch = options.sampleBatch;
    inference.context = options.context;
    inference.prefillLength = options.prefillLength;
    pm.addPass(mlir::loom::createLoomBuildInferencePass(inference));
    mlir::loom::LoomBuildTrainStepPassOptions trainStep;
    trainStep.functionName = "forward";
    pm.addPass(mlir::loom::createLoomBuildTrainStepPass(trainStep));
    if (options.precision == loomc::Precision::fp64)
      pm.addPass(mlir::loom::createLoomComputeInF64Pass());
    pm.addPass(mlir::createCSEPass());
    return;
  }

  // 2. Weight-bias-activation fusion, forward and backward; with --remat,
  //    recomputation of cheap saved values (after fusion, which decides
  //    which pre-activations a fused layer returns); then each repeated
  //    block's code in one function per entry point, called per instance.
  case loomc::Stage::fused:
    if (options.fuse)
      pm.addPass(fusion ? mlir::loom::createLoomFuseLinearPass(*fusion)
                        : mlir::loom::createLoomFuseLinearPass());
    if (options.remat)
      pm.addPass(mlir::loom::createLoomRematerializePass());
    if (!options.unrollLayers)
      pm.addPass(mlir::loom::createLoomOutlineBlocksPass(
          mlir::loom::LoomOutlineBlocksPassOptions{options.rematBlocks}));
    return;

  // 3. loom ops to linalg on tensors; CSE merges the softmax statistics
  //    that cross-entropy's forward and backward both compute.
  case loomc::Stage::linalg: {
    loomc::LoomLowerToLinalgPassOptions lowering;
    lowering.profile = options.profile;
    lowering.bf16Products = options.precision == loomc::Precision::bf16;
    pm.addPass(loomc::createLoomLowerToLinalgPass(lowering));
    // An fp64 build's widening and rounding at the buffers (arith.extf and
    // arith.truncf on tensors) as linalg generics.
    if (options.precision == loomc::Precision::fp64)
      pm.addPass(mlir::createConvertElementwiseToLinalgPass());
    pm.addPass(mlir::createCSEPass());
    pm.addPass(mlir::createCanonicalizerPass());
    return;
  }

  // 4. Thread blocks, register tiles and vectors, still on tensors.
  case loomc::Stage::tiled: {
    if (!options.tuningFile.empty() &&
        (options.tune || llvm::sys::fs::exists(options.tuningFile)))
      pm.addPass(loomc::createLoomApplyTuningPass(
          loomc::LoomApplyTuningPassOptions{options.tuningFile}));
    loomc::LoomTileAndVectorizePassOptions tiling;
    tiling.vectorWidth = target.vectorWidth;
    tiling.registerRows = target.tiles.registerRows;
    tiling.registerVectors = target.tiles.registerVectors;
    tiling.reductionBlock = target.tiles.reductionBlock;
    tiling.threads = target.tiles.threads;
    tiling.amxTiles = amxTiles;
    pm.addNestedPass<FuncOp>(loomc::createLoomTileAndVectorizePass(tiling));
    pm.addPass(mlir::createCSEPass());
    return;
  }

  // 5. Buffers. Empty-tensor elimination makes gradients land directly in
  //    their buffers; CSE and canonicalization then fold the self-copies
  //    left by in-place parallel tiles; temporaries get deallocations, and
  //    then fixed places in one arena per function, reused by liveness.
  //    Constants become globals named and placed in the order the module
  //    reads them (bufferization's own order changes from run to run).
  //    Last, each gradient is said ready after the last access to its
  //    buffer (abi.h's loom_gradient_ready).
  case loomc::Stage::bufferized: {
    // Values a block's function writes into its caller's destinations
    // reshaped, so that they are computed there (ReshapeDestinations.cpp).
    pm.addNestedPass<mlir::func::FuncOp>(
        loomc::createLoomReshapeDestinationsPass());
    // Not in fp64 builds: there a block's gradients reach their buffers
    // through arith.truncf, so the caller passes fresh destinations, and
    // computing a weight gradient's loop nest in one of those has left
    // One-Shot Bufferize with a read-after-write conflict it cannot avoid
    // (GPT-2 at dim 64). fp64 builds are for checking; a copy costs little.
    if (options.precision != loomc::Precision::fp64)
      pm.addPass(mlir::bufferization::createEmptyTensorEliminationPass());
    mlir::bufferization::OneShotBufferizePassOptions bufferize;
    bufferize.bufferizeFunctionBoundaries = true;
    bufferize.functionBoundaryTypeConversion =
        mlir::bufferization::LayoutMapOption::IdentityLayoutMap;
    pm.addPass(mlir::bufferization::createOneShotBufferizePass(bufferize));
    pm.addPass(loomc::createLoomOrderConstantGlobalsPass());
    pm.addPass(mlir::createCSEPass());
    pm.addPass(mlir::createCanonicalizerPass());
    // A block's function writes the destinations its caller passes: its
    // results are those buffers, and the caller reads them there. (After
    // canonicalization, which folds the reshapes of
    // -loom-reshape-destinations back into the destination itself.)
    pm.addPass(mlir::bufferization::createDropEquivalentBufferResultsPass());
    mlir::bufferization::buildBufferDeallocationPipeline(pm);
    pm.addPass(mlir::createCSEPass());
    pm.addPass(mlir::createCanonicalizerPass());
    pm.addNestedPass<FuncOp>(loomc::createLoomPlanMemoryPass());
    pm.addNestedPass<FuncOp>(loomc::createLoomLowerGradientReadyPass());
    // Last, the calls of a repeated block, one per layer, become a loop
    // over the layers (and the optimizer's kernel calls one per layer).
    pm.addPass(loomc::createLoomRollRepeatedCallsPass());
    return;
  }

  // 6. The llvm dialect: vector contractions to FMAs and math to
  //    polynomials, N-D transfers unrolled to 1-D ones, thread blocks to
  //    OpenMP, and functions called with bare pointers (abi.h).
  case loomc::Stage::llvm: {
    pm.addPass(loomc::createLoomLowerBufferTablesPass());
    pm.addNestedPass<FuncOp>(
        loomc::createLoomLowerVectorsPass(loomc::LoomLowerVectorsPassOptions{amxTiles}));
    pm.addPass(mlir::createConvertVectorToSCFPass(
        mlir::VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(
            1)));
    OpPassManager &functionPasses = pm.nest<FuncOp>();
    functionPasses.addPass(loomc::createLoomLowerVectorsPass());
    functionPasses.addPass(loomc::createLoomExpandStridedCopiesPass());
    pm.addPass(mlir::createConvertLinalgToLoopsPass());
    pm.addPass(mlir::createForallToParallelLoopPass());
    pm.addPass(mlir::createConvertSCFToOpenMPPass());
    // Right after the OpenMP conversion, or its alloca scopes break the
    // conversion of scf to cf.
    pm.addPass(mlir::createCanonicalizerPass());
    // Stack buffers inside loops (AMX accumulators') once per thread.
    pm.addNestedPass<FuncOp>(loomc::createLoomHoistStackBuffersPass());
    pm.addPass(mlir::memref::createExpandStridedMetadataPass());
    pm.addPass(mlir::createLowerAffinePass());
    pm.addPass(mlir::createSCFToControlFlowPass());
    // An fp64 build's math (the polynomials of -loom-lower-vectors are f32
    // alone): LLVM's intrinsics where they exist (exp, log, sqrt), libm
    // calls element by element for the rest (tanh, erf). After the OpenMP
    // conversion, whose alloca scopes a call would keep.
    if (options.precision == loomc::Precision::fp64) {
      pm.addPass(mlir::createConvertMathToLLVMPass());
      pm.addPass(mlir::createConvertMathToLibmPass());
    }
    mlir::ConvertVectorToLLVMPassOptions vectors;
    // bf16 products' dot products (x86vector.avx512.dot).
    vectors.x86Vector = options.precision == loomc::Precision::bf16;
    // ... or AMX tiles' loads, products and stores.
    vectors.amx = amxTiles;
    pm.addPass(mlir::createConvertVectorToLLVMPass(vectors));
    pm.addPass(mlir::createConvertMathToLLVMPass());
    // Allocations go through _mlir_memref_to_llvm_alloc, which the entry
    // points define to fail with a message instead of crashing.
    mlir::FinalizeMemRefToLLVMConversionPassOptions memrefs;
    memrefs.useGenericFunctions = true;
    pm.addPass(mlir::createFinalizeMemRefToLLVMConversionPass(memrefs));
    pm.addPass(mlir::createArithToLLVMConversionPass());
    // Functions before OpenMP: the OpenMP conversion would otherwise
    // convert them itself, with memref descriptors.
    mlir::ConvertFuncToLLVMPassOptions functions;
    functions.useBarePtrCallConv = true;
    pm.addPass(mlir::createConvertFuncToLLVMPass(functions));
    pm.addPass(mlir::createConvertOpenMPToLLVMPass());
    pm.addPass(mlir::createConvertControlFlowToLLVMPass());
    pm.addPass(mlir::createUBToLLVMConversionPass());
    pm.addPass(mlir::createReconcileUnrealizedCastsPass());
    return;
  }

  case loomc::Stage::loom:
  case loomc::Stage::llvmIR:
  case loomc::Stage::assembly:
    return; // not pass pipelines
  }
}

// Prints the module as a text file, ending in a newline.
static auto printModule(ModuleOp module) {
  return [module](llvm::raw_ostream &os) mutable {
    module.print(os);
    os << "\n";
  };
}

// Runs MLIR stage `stage` on the module and writes its IR where asked.
static LogicalResult runStage(ModuleOp module, loomc::Stage stage,
                              const loomc::PipelineOptions &options,
                              const TargetTraits &target,
                              loomc::CompilationReport &report,
                              loomc::StageOutput &output) {
  auto pm = mlir::PassManager::on<ModuleOp>(module.getContext());
  populateStage(pm, stage, options, target, &report.fusion);
  if (failed(pm.run(module)))
    return mlir::failure();
  return output.write(stage, printModule(module));
}

bool loomc::canResumeAfter(Stage stage) {
  return stage == Stage::loom || stage == Stage::grad;
}

// Every dialect and interface the stages use (bufferization finds its
// interfaces through the registry's extensions).
static void prepareContext(mlir::MLIRContext &context) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  context.appendDialectRegistry(registry);
}

void loomc::loadDialects(mlir::MLIRContext &context) {
  prepareContext(context);
  context.loadAllAvailableDialects();
}

// Adds each step's wall time to the report as the step ends.
class StepClock {
public:
  explicit StepClock(std::vector<loomc::StepTime> &times)
      : times(times), last(std::chrono::steady_clock::now()) {}
  // The time since the previous step ended.
  void done(const llvm::Twine &name) {
    auto now = std::chrono::steady_clock::now();
    times.push_back({name.str(), std::chrono::duration<double>(now - last).count()});
    last = now;
  }
  void add(const llvm::Twine &name, double seconds) {
    times.push_back({name.str(), seconds});
  }

private:
  std::vector<loomc::StepTime> &times;
  std::chrono::steady_clock::time_point last;
};

// abi.h's loom_precision for --precision.
static int32_t abiPrecision(loomc::Precision precision) {
  switch (precision) {
  case loomc::Precision::fp32:
    return LOOM_PRECISION_FP32;
  case loomc::Precision::bf16:
    return LOOM_PRECISION_BF16;
  case loomc::Precision::fp64:
    return LOOM_PRECISION_FP64;
  }
  return LOOM_PRECISION_FP32;
}

static LogicalResult fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "loomc") << message << "\n";
  return mlir::failure();
}

// IR read back after the grad stage (--from=grad) was built with or
// without -loom-compute-in-f64: the precision asked for now must be the
// one it has, or the executable would claim a precision it lacks.
static LogicalResult checkResumedPrecision(ModuleOp module,
                                           const loomc::PipelineOptions &options) {
  if (options.resumeAfter != loomc::Stage::grad)
    return mlir::success();
  auto step = module.lookupSymbol<FuncOp>("forward_backward");
  if (!step || step.getNumResults() != 1)
    return mlir::success(); // describeModel has said what is missing
  bool f64 = step.getResultTypes()[0].isF64();
  if (f64 == (options.precision == loomc::Precision::fp64))
    return mlir::success();
  return fail(llvm::Twine("--from=grad: the IR computes its loss in ") +
              (f64 ? "f64; add --precision=fp64" :
                     "f32; it was not emitted with --precision=fp64"));
}

// The CPU the options ask code for (--target-cpu, --target-features).
static loomc::TargetSpec targetOf(const loomc::PipelineOptions &options) {
  return {options.targetCpu, options.targetFeatures};
}

// The target machine for the options, or null after saying why: a bad
// target, or one that cannot run the precision asked for faster.
static std::unique_ptr<llvm::TargetMachine>
checkedTarget(const loomc::PipelineOptions &options) {
  std::unique_ptr<llvm::TargetMachine> target =
      loomc::createTargetMachine(targetOf(options));
  if (target && options.precision == loomc::Precision::bf16) {
    std::string reason = loomc::bf16ProductsUnavailable(*target, options.amxTiles);
    if (!reason.empty()) {
      (void)fail("--precision=bf16: " + reason);
      return nullptr;
    }
  }
  return target;
}

LogicalResult loomc::printPipelines(mlir::MLIRContext &context,
                                    const PipelineOptions &options,
                                    llvm::raw_ostream &os) {
  prepareContext(context);
  std::unique_ptr<llvm::TargetMachine> target = checkedTarget(options);
  if (!target)
    return mlir::failure();
  for (Stage stage : kPassStages) {
    auto pm = mlir::PassManager::on<ModuleOp>(&context);
    populateStage(pm, stage, options, traitsOf(*target, options), nullptr);
    os << stageName(stage) << ": ";
    pm.printAsTextualPipeline(os);
    os << "\n";
  }
  return mlir::success();
}

// The products' tilings, after the linalg stage: with --tune, each shape's
// candidates timed and the table written; then which shapes the table has
// (the tiled stage applies them) and which get the rules.
static LogicalResult chooseTilings(ModuleOp module, const loomc::PipelineOptions &options,
                                   const TargetTraits &traits,
                                   llvm::TargetMachine &target,
                                   loomc::CompilationReport &report) {
  namespace codegen = loomc::codegen;
  codegen::TuningTable table;
  std::string error;
  bool tableExists = !options.tuningFile.empty() &&
                     llvm::sys::fs::exists(options.tuningFile);
  if (tableExists && !codegen::readTuningTable(options.tuningFile, table, error))
    return module.emitError() << "--tuning: " << error;
  if (options.tune) {
    if (table.cpu.empty())
      codegen::hostTuningKey(table.cpu, table.features);
    loomc::PipelineOptions kernelOptions = options;
    kernelOptions.tune = false;
    kernelOptions.tuningFile.clear();
    loomc::TunerSetup setup;
    setup.target = traits.tiles;
    setup.target.amxTiles = options.precision == loomc::Precision::bf16 &&
                            options.amxTiles && traits.amxTiles;
    setup.targetSpec = targetOf(options);
    setup.targetMachine = &target;
    auto lower = [&](ModuleOp kernels) -> LogicalResult {
      for (loomc::Stage stage :
           {loomc::Stage::tiled, loomc::Stage::bufferized, loomc::Stage::llvm}) {
        auto pm = mlir::PassManager::on<ModuleOp>(kernels.getContext());
        populateStage(pm, stage, kernelOptions, traits, nullptr);
        if (failed(pm.run(kernels)))
          return mlir::failure();
      }
      return mlir::success();
    };
    setup.lowerToLLVM = lower;
    if (failed(loomc::tuneProducts(module, setup, table, llvm::errs())))
      return mlir::failure();
    if (!codegen::writeTuningTable(options.tuningFile, table, error))
      return module.emitError() << "--tune: cannot write the tuning table: " << error;
  }
  std::set<std::string> shapes, tuned;
  codegen::forEachTunableProduct(module, [&](mlir::Operation *product) {
    if (std::optional<std::string> key = codegen::productKey(product)) {
      shapes.insert(*key);
      if (table.products.count(*key))
        tuned.insert(*key);
    }
  });
  std::string rules = "the rules for " + traits.derivedFrom;
  llvm::raw_string_ostream os(report.tiling);
  if (options.tuningFile.empty())
    os << "every product shape by " << rules << " (no tuning cache)";
  else if (!tableExists && !options.tune)
    os << "every product shape by " << rules << " (no tuning cache at "
       << options.tuningFile << "; loomc --tune measures one)";
  else
    os << tuned.size() << " of " << shapes.size() << " product shapes as measured in "
       << options.tuningFile << ", " << shapes.size() - tuned.size() << " by " << rules;
  return mlir::success();
}

LogicalResult loomc::compileModel(ModuleOp module,
                                  const PipelineOptions &options,
                                  CompilationReport &report,
                                  llvm::raw_pwrite_stream &emitStream) {
  StepClock clock(report.times);
  prepareContext(*module.getContext());
  StageOutput output(options.dumpDirectory, options.emit, emitStream);
  if (failed(output.prepare()) ||
      failed(output.write(Stage::loom, printModule(module))))
    return mlir::failure();
  if (output.done(Stage::loom))
    return mlir::success();

  std::unique_ptr<llvm::TargetMachine> target = checkedTarget(options);
  if (!target)
    return mlir::failure();
  TargetTraits traits = traitsOf(*target, options);
  // The tensor table, once the training step exists.
  auto describe = [&]() -> LogicalResult {
    mlir::FailureOr<ModelDescription> described =
        describeModel(module, options.fuse);
    if (failed(described))
      return mlir::failure();
    report.model = std::move(*described);
    report.model.precision = abiPrecision(options.precision);
    // Loops over the layers pick buffers by their place in the table
    // (-loom-roll-repeated-calls, which drops these attributes).
    annotateTableIndices(module, report.model);
    return checkResumedPrecision(module, options);
  };
  if (options.resumeAfter == Stage::grad && failed(describe()))
    return mlir::failure();
  for (Stage stage : kPassStages) {
    if (options.resumeAfter && stage <= *options.resumeAfter)
      continue;
    if (failed(runStage(module, stage, options, traits, report, output)))
      return mlir::failure();
    clock.done(stageName(stage));
    if (stage == Stage::grad && failed(describe()))
      return mlir::failure();
    if (stage == Stage::linalg &&
        failed(chooseTilings(module, options, traits, *target, report)))
      return mlir::failure();
    if (stage == Stage::bufferized) {
      readMemoryPlan(module, report.model);
      readGradientReadyOrder(module, report.model);
      if (failed(readBufferTables(module, report.model)))
        return mlir::failure();
    }
    if (output.done(stage))
      return mlir::success();
  }

  // 7. LLVM IR with the runtime's entry points, optimized at -O3.
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext, report.model, *target);
  if (!llvmModule)
    return mlir::failure();
  clock.done("translation to LLVM IR");
  // Printing the optimized module, or writing the IR of every stage, needs
  // it whole; an executable is otherwise compiled in parts, one per core.
  bool whole = options.emit || !options.dumpDirectory.empty();
  if (whole) {
    optimizeModule(*llvmModule, *target);
    clock.done("LLVM -O3");
    if (failed(output.write(Stage::llvmIR, [&](llvm::raw_ostream &os) {
          llvmModule->print(os, nullptr);
        })))
      return mlir::failure();
    if (output.done(Stage::llvmIR))
      return mlir::success();

    // 8. Assembly for the host.
    if (failed(output.writeBinary(
            Stage::assembly, [&](llvm::raw_pwrite_stream &os) {
              return emitAssembly(*llvmModule, *target, os);
            })))
      return mlir::failure();
    clock.done("assembly");
    if (output.done(Stage::assembly))
      return mlir::success();
  }

  // 9. Object files -- the module whole, or split in parts that the cores
  //    optimize and compile side by side -- linked with the runtime into the
  //    executable, or alone into a shared library.
  unsigned parts = whole ? 1 : kCodegenParts;
  std::vector<std::string> objectPaths;
  std::vector<std::unique_ptr<llvm::FileRemover>> removers;
  for (unsigned i = 0; i < parts; ++i) {
    llvm::SmallString<128> path;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "loom-" + report.model.modelName, "o", path))
      return fail("cannot create a temporary object file: " + ec.message());
    objectPaths.push_back(std::string(path));
    removers.push_back(std::make_unique<llvm::FileRemover>(path));
  }
  std::vector<std::string> objects;
  if (whole) {
    if (failed(emitObjectFile(*llvmModule, *target, objectPaths[0])))
      return mlir::failure();
    objects = objectPaths;
    clock.done("code generation");
  } else {
    PartTimes slowest;
    mlir::FailureOr<std::vector<std::string>> written =
        compileInParallel(std::move(llvmModule), objectPaths, targetOf(options),
                          &slowest);
    if (failed(written))
      return mlir::failure();
    objects = std::move(*written);
    // The cores share the parts: the busiest thread's steps, and what
    // splitting the module and waiting for the other threads added.
    clock.add("LLVM -O3 (the busiest core's share of " +
                  llvm::Twine(objects.size()) + " parts)",
              slowest.optimization);
    clock.add("code generation (the same core's parts)", slowest.codeGeneration);
    auto &times = report.times;
    clock.done("splitting the module, waiting for the other cores");
    times.back().seconds -= slowest.optimization + slowest.codeGeneration;
  }
  LogicalResult linked =
      options.sharedLibrary
          ? linkSharedLibrary(objects, options.outputPath)
          : linkExecutable(objects, options.runtimeLibrary,
                           options.outputPath, options.sanitizeRuntime);
  clock.done("link");
  return linked;
}
