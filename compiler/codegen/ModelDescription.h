//===- ModelDescription.h - The tensor table a model's executable uses -*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_MODELDESCRIPTION_H
#define LOOM_COMPILER_CODEGEN_MODELDESCRIPTION_H

#include "loom/runtime/abi.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"
#include <string>
#include <vector>

namespace loomc {

struct TensorDescription {
  std::string name;
  loom_role role;
  loom_dtype dtype;
  llvm::SmallVector<int64_t> shape;
  loom_init_kind init = LOOM_INIT_ZEROS;
  double initA = 0.0, initB = 0.0;
  int64_t indexBound = 0;
  int optimizer = -1;
};

// How an entry function's argument is fed from the runtime's arguments.
struct EntryArgument {
  // Inference entry points also take the runtime's tokens, position and
  // logits (abi.h's loom_prefill, loom_decode).
  // `ranges`: the runtime's element range of each parameter (abi.h's
  // loom_update), or the whole of every parameter when it passes none.
  enum class Kind {
    buffer,
    hyper,
    gradScale,
    step,
    ranges,
    tokens,
    position,
    logits,
    // The runtime's table of buffers itself (an argument marked
    // loom.buffer_table: a loop over the layers picks each layer's buffers
    // from it).
    table
  };
  Kind kind;
  unsigned index = 0; // the tensor (buffer) or the hyperparameter (hyper)
};

struct EntryFunction {
  std::string symbol;
  std::vector<EntryArgument> args;
};

struct OptimizerDescription {
  std::string name;
  std::vector<std::string> hyperNames;
  EntryFunction update;
};

// loom-plan-memory's arena for one entry function (all sizes in bytes),
// with those of the functions it calls (a repeated block's, the updates'
// kernels), each planned once for all its calls: one runs at a time, so
// the entry function's peak is its own arena and the largest callee's.
struct ArenaPlan {
  std::string function;
  int64_t bytes = 0;           // the function's temporary peak
  int64_t buffers = 0;         // intermediate tensors placed in arenas
  int64_t lowerBound = 0;      // the most bytes ever live at once
  int64_t withoutReuse = 0;    // the sum of all its buffers
  int64_t allocationsLeft = 0; // allocations not in the arena (malloc'd)
  int64_t largestLeft = 0;     // the largest of them
  // Of `bytes`: the largest callee's arena, and the calls of callees with
  // an arena.
  int64_t calleeBytes = 0;
  int64_t calleeCalls = 0;
};

// The inference entry points (-loom-build-inference), or why there are none.
struct InferenceDescription {
  bool available = false;
  std::string unavailable;
  int64_t batch = 0, context = 0, prefillLength = 0, vocab = 0;
  // 2·M·N·K summed over the matrix products of decode.
  double decodeFlops = 0.0;
  EntryFunction prefill, decode;
};

// What the runtime needs to know about a compiled model (abi.h): its tensor
// table, its optimizers, and how each entry function's arguments come from
// the table and the runtime's scalars.
struct ModelDescription {
  std::string modelName;
  bool fused = true;
  // loom_precision (abi.h): what the entry points compute in.
  int32_t precision = 0;
  std::vector<TensorDescription> tensors;
  std::vector<OptimizerDescription> optimizers;
  EntryFunction forwardBackward, gradNorm, evalLoss;
  // Gradients (their positions among the table's gradients) in the order
  // forward_backward calls loom_gradient_ready for them.
  std::vector<int32_t> gradientReadyOrder;
  // 2·M·N·K summed over the matrix products of forward_backward.
  double trainStepFlops = 0.0;
  InferenceDescription inference;
  // The static memory plan, one arena per entry function with temporaries.
  std::vector<ArenaPlan> arenas;

  int64_t largestArenaBytes() const;
  // The largest arena of the functions named (0 when none has one).
  int64_t arenaBytesOf(llvm::ArrayRef<llvm::StringRef> functions) const;
  // Bytes of the tensor table's buffers of `role` (of one optimizer's state
  // when `optimizer` is given).
  int64_t tableBytes(loom_role role, int optimizer = -1) const;
};

// Reads the description from a module built by loom-build-train-step.
mlir::FailureOr<ModelDescription> describeModel(mlir::ModuleOp module, bool fused);

// Reads the order in which forward_backward calls loom_gradient_ready once
// -loom-lower-gradient-ready has placed the calls (after bufferization).
void readGradientReadyOrder(mlir::ModuleOp module, ModelDescription &description);

// Marks each buffer argument of the entry functions with its tensor's
// position in the table (loom.table_index), for -loom-roll-repeated-calls.
void annotateTableIndices(mlir::ModuleOp module, const ModelDescription &description);

// Adds the runtime's table to the arguments of the entry functions that
// -loom-roll-repeated-calls gave an argument marked loom.buffer_table.
mlir::LogicalResult readBufferTables(mlir::ModuleOp module,
                                     ModelDescription &description);

// Reads the arenas loom-plan-memory recorded on the module's functions.
void readMemoryPlan(mlir::ModuleOp module, ModelDescription &description);

// "loomc: memory plan: ..." lines: each arena, and the peak of a training
// step with the default optimizer's state.
void printMemoryPlan(const ModelDescription &description, llvm::raw_ostream &os);

} // namespace loomc

#endif // LOOM_COMPILER_CODEGEN_MODELDESCRIPTION_H
