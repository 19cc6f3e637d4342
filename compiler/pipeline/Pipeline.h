//===- Pipeline.h - The stages from a model to native code ------*- C++ -*-===//

#ifndef LOOM_COMPILER_PIPELINE_PIPELINE_H
#define LOOM_COMPILER_PIPELINE_PIPELINE_H

#include "compiler/codegen/ModelDescription.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_pwrite_stream;
} // namespace llvm

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

// What a build computes in (--precision). Tensors in buffers -- master
// weights, gradients, the optimizer's state, inputs -- are f32 in every
// build (abi.h).
enum class Precision {
  fp32,
  // Matrix products read bf16 copies of their operands and accumulate in
  // f32; norms, softmax, the loss and the optimizer stay f32.
  bf16,
  // The forward and backward passes (the loss, the gradients, inference)
  // in f64, from the f32 buffers (-loom-compute-in-f64): for checking
  // (--grad-check), not speed. The optimizer updates the f32 masters in f32.
  fp64,
};

struct PipelineOptions {
  bool fuse = true;
  Precision precision = Precision::fp32;
  // bf16 products on AMX tiles where the target has them (--amx-tiles):
  // built and checked in IR, not yet run on an AMX CPU.
  bool amxTiles = false;
  // Recompute cheap forward values in the backward pass instead of keeping
  // them (-loom-rematerialize): less memory, a little more compute.
  bool remat = false;
  // Recompute each repeated block's forward pass, from the block's input,
  // right before its backward pass (-loom-outline-blocks
  // recompute-blocks): one block input saved per layer.
  bool rematBlocks = false;
  // Time every loom op at run time (loom-lower-to-linalg{profile}).
  bool profile = false;
  // Compile every instance of a repeated block on its own instead of once
  // (no -loom-outline-blocks): today's code, for comparison.
  bool unrollLayers = false;
  // Products' tilings measured on this CPU (docs/tuning.md): read from
  // this tuning table when it is not empty; with `tune`, every product
  // shape of the model is timed first and the table (re)written.
  std::string tuningFile;
  bool tune = false;
  // The CPU the code is for (--target-cpu, --target-features): the host's
  // when empty.
  std::string targetCpu, targetFeatures;
  // The inference entry points (-loom-build-inference): sequences decoded
  // side by side, positions the key/value cache holds (0: the model's ctx),
  // tokens one prefill call takes (0: the training window).
  int64_t sampleBatch = 1;
  int64_t context = 0;
  int64_t prefillLength = 0;

  // What is built: an executable linked with `runtimeLibrary`, or a shared
  // library with abi.h's entry points and no runtime, at `outputPath`.
  bool sharedLibrary = false;
  std::string outputPath;
  std::string runtimeLibrary;
  // The runtime is the one built with AddressSanitizer and
  // UndefinedBehaviorSanitizer: link the sanitizers' libraries too.
  bool sanitizeRuntime = false;
  // Print the IR after this stage on the emit stream and build nothing.
  std::optional<Stage> emit;
  // The module is IR that --emit printed after this stage (loom or grad),
  // read back (loomc --from=STAGE), perhaps edited: the stages up to it
  // are not run again.
  std::optional<Stage> resumeAfter;
  // Write the IR of every stage that runs into this directory, as
  // NN-STAGE.mlir, .ll and .s.
  std::string dumpDirectory;
};

// The wall time of one step of a compilation (a stage, LLVM's
// optimization, code generation, the link).
struct StepTime {
  std::string name;
  double seconds;
};

// What a compilation found out, for the driver to report.
struct CompilationReport {
  // The tensor table, with the static memory plan once bufferization ran.
  ModelDescription model;
  mlir::loom::FusionStatistics fusion;
  // Every step that ran, in order (loomc --timing).
  std::vector<StepTime> times;
  // Where the products' tilings came from: the host's rules (and what was
  // read of the host), the tuning table's measurements, or both.
  std::string tiling;
};

// The stages after which compileModel can resume from IR (--from): those
// before the tensor table is read from the module.
bool canResumeAfter(Stage stage);
// Loads every dialect the stages' IR uses, for reading it back.
void loadDialects(mlir::MLIRContext &context);

// Runs every stage on the module the front end built (or read back after
// `resumeAfter`), up to `emit` (whose IR goes to `emitStream`) or to the
// linked output. Errors are reported through the context's diagnostic
// handler, or on stderr for files and tools.
mlir::LogicalResult compileModel(mlir::ModuleOp module,
                                 const PipelineOptions &options,
                                 CompilationReport &report,
                                 llvm::raw_pwrite_stream &emitStream);

// Prints "STAGE: PIPELINE" for every stage that is a pass pipeline (grad to
// llvm), in the textual form `loom-opt --pass-pipeline=PIPELINE` replays.
// Fails, having said why, on a bad target.
mlir::LogicalResult printPipelines(mlir::MLIRContext &context, const PipelineOptions &options,
                    llvm::raw_ostream &os);

} // namespace loomc

#endif // LOOM_COMPILER_PIPELINE_PIPELINE_H
