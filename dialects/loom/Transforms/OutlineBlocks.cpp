//===- OutlineBlocks.cpp - A repeated block's code, compiled once ---------===//
//
// In each entry function, every run of ops of one instance of a repeat
// ("h.3": its forward ops, later its backward ops) becomes a call of a
// private function, in destination-passing style; instances whose
// functions are the same up to locations share one (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/IR/DiscardableAttributes.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/RepeatInstances.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMOUTLINEBLOCKSPASS
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

// The repeat instance `op` was built in ("h.3" for an op located in "h.3"
// or "h.3.attn"); empty for none.
static StringRef instanceOf(Operation *op, ArrayRef<StringRef> scopes) {
  auto name = op->getLoc()->findInstanceOf<NameLoc>();
  if (!name)
    return {};
  std::optional<RepeatInstance> instance =
      parseRepeatInstance(name.getName().getValue(), scopes);
  return instance ? instance->instance : StringRef();
}

// Ops that do not break a run: constants (cloned into the functions that
// use them) and loom.gradient_ready (moved after the call).
static bool isNeutral(Operation *op) {
  return isa<GradientReadyOp>(op) ||
         (op->hasTrait<OpTrait::ConstantLike>() && op->getNumOperands() == 0);
}

// A slice at a fixed offset: a view of its input, which a function is
// better passed whole than as the slice (a strided view passed to a
// function is copied, since functions take identity-layout buffers).
static bool isFixedSlice(Operation *op) {
  auto slice = dyn_cast_or_null<SliceOp>(op);
  return slice && !slice.getPosition();
}

namespace {

// Consecutive ops of one instance, with the gradient_ready ops among them.
struct Run {
  StringRef instance;
  SmallVector<Operation *> ops;
  SmallVector<Operation *> readies;
};

// Outlines the runs of one function and shares equal functions.
class Outliner {
public:
  Outliner(ModuleOp module, ArrayRef<StringRef> scopes)
      : module(module), scopes(scopes) {}

  void outlineFunction(func::FuncOp function);
  // Replaces every outlined function with the first equal one.
  void share();

private:
  SmallVector<Run> findRuns(Block &body);
  bool outlineRun(func::FuncOp function, const Run &run, unsigned index);

  ModuleOp module;
  ArrayRef<StringRef> scopes;
  SmallVector<func::FuncOp> outlined;
  Operation *lastOutlined = nullptr; // in the function being outlined
  // Slices made again in the caller from a source a call returned whole.
  SmallVector<Operation *> callerSlices;
};

} // namespace

SmallVector<Run> Outliner::findRuns(Block &body) {
  SmallVector<Run> runs;
  Run current;
  auto close = [&] {
    if (!current.ops.empty())
      runs.push_back(std::move(current));
    current = Run();
  };
  for (Operation &op : body.without_terminator()) {
    if (isNeutral(&op)) {
      if (isa<GradientReadyOp>(op) && !current.ops.empty())
        current.readies.push_back(&op);
      continue;
    }
    // Only loom ops: the buffers' bufferization.to_tensor and
    // materialize_in_destination stay with the caller.
    StringRef instance =
        isa<LoomDialect>(op.getDialect()) ? instanceOf(&op, scopes) : StringRef();
    if (instance.empty() || instance != current.instance)
      close();
    if (instance.empty())
      continue;
    current.instance = instance;
    current.ops.push_back(&op);
  }
  close();
  return runs;
}

// A value the run computes that is used outside it only by writes into a
// buffer argument of the function (a gradient): the write moves into the
// outlined function, which takes the buffer.
static bool onlyWrittenToArguments(Value value, Block &body) {
  return !value.use_empty() && llvm::all_of(value.getUsers(), [&](Operation *user) {
    auto write = dyn_cast<bufferization::MaterializeInDestinationOp>(user);
    auto buffer = write ? dyn_cast<BlockArgument>(write.getDest()) : BlockArgument();
    return buffer && buffer.getOwner() == &body && write.getSource() == value;
  });
}

// Returns false, changing nothing, for a run that computes a value of a
// shape known only at run time (the caller could not create its
// destination).
bool Outliner::outlineRun(func::FuncOp function, const Run &run,
                          unsigned index) {
  Block &body = function.front();
  DenseSet<Operation *> inRun(run.ops.begin(), run.ops.end());
  // What the run reads from outside (constants are recreated inside) ...
  // (and slices are taken inside, from their sources).
  llvm::SetVector<Value> inputs;
  llvm::SetVector<Operation *> constants, slicesInside;
  for (Operation *op : run.ops)
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (def && inRun.contains(def))
        continue;
      if (def && isNeutral(def)) {
        constants.insert(def);
      } else if (isFixedSlice(def)) {
        slicesInside.insert(def);
        inputs.insert(def->getOperand(0));
      } else {
        inputs.insert(operand);
      }
    }
  // ... and what it computes for outside: values returned through a
  // destination the caller passes, and gradients written into buffers.
  SmallVector<Value> results;
  SmallVector<bufferization::MaterializeInDestinationOp> writes;
  for (Operation *op : run.ops)
    for (Value result : op->getResults()) {
      if (llvm::all_of(result.getUsers(),
                       [&](Operation *user) { return inRun.contains(user); }))
        continue;
      if (onlyWrittenToArguments(result, body)) {
        for (Operation *user : result.getUsers())
          writes.push_back(cast<bufferization::MaterializeInDestinationOp>(user));
      } else {
        results.push_back(result);
      }
    }
  // The writes keep the caller's order (the reverse of the order in which
  // autodiff computed the gradients). One-Shot Bufferize's empty tensor
  // elimination puts the products of two gradients of one shape, whose
  // zero-filled inits CSE merged, into the first destination; written in the
  // order of computation, the second write then overwrote the first
  // gradient before it was copied out (Llama's q_proj got o_proj's).
  llvm::sort(writes, [](auto a, auto b) {
    return a->isBeforeInBlock(b.getOperation());
  });
  // Slices that cover their source (attention's q, k and v of one packed
  // projection): the source is returned instead, and the slices are made
  // again in the caller, as views; returned, each would be copied into a
  // destination of its own.
  SmallVector<Operation *> slicedAgain;
  llvm::MapVector<Value, SmallVector<Value>> slicesBySource;
  for (Value result : results)
    if (isFixedSlice(result.getDefiningOp()))
      slicesBySource[result.getDefiningOp()->getOperand(0)].push_back(result);
  for (auto &[source, slices] : slicesBySource) {
    auto sourceType = cast<RankedTensorType>(source.getType());
    int64_t covered = 0;
    for (Value slice : slices)
      covered += cast<RankedTensorType>(slice.getType()).getNumElements();
    if (!sourceType.hasStaticShape() || covered < sourceType.getNumElements())
      continue;
    for (Value slice : slices) {
      slicedAgain.push_back(slice.getDefiningOp());
      llvm::erase(results, slice);
    }
    Operation *def = source.getDefiningOp();
    if (def && inRun.contains(def) && !llvm::is_contained(results, source))
      results.push_back(source);
  }
  for (Value result : results) {
    auto type = dyn_cast<RankedTensorType>(result.getType());
    if (!type || !type.hasStaticShape())
      return false;
  }

  // func.func private @F.h.3.K(inputs..., destinations..., buffers...) ->
  // (results...)
  SmallVector<Type> argTypes, resultTypes;
  for (Value input : inputs)
    argTypes.push_back(input.getType());
  for (Value result : results) {
    argTypes.push_back(result.getType());
    resultTypes.push_back(result.getType());
  }
  for (auto write : writes)
    argTypes.push_back(write.getDest().getType());
  // The functions follow their entry function in the order of their runs.
  OpBuilder builder(module.getContext());
  builder.setInsertionPointAfter(lastOutlined ? lastOutlined : function);
  Location loc = run.ops.front()->getLoc();
  auto callee = func::FuncOp::create(
      builder, loc,
      (function.getSymName() + "." + run.instance + "." + Twine(index)).str(),
      builder.getFunctionType(argTypes, resultTypes));
  callee.setPrivate();
  // Compiled once, called per instance: never inlined back.
  callee.setNoInline(true);
  callee->setAttr(kEntryAttr, builder.getStringAttr(function.getSymName()));
  Block *entry = callee.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [input, arg] : llvm::zip(inputs, entry->getArguments()))
    mapping.map(input, arg);
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  for (Operation *slice : slicesInside)
    builder.clone(*slice, mapping);
  for (Operation *op : run.ops)
    builder.clone(*op, mapping);
  SmallVector<Value> returned;
  for (auto [i, result] : llvm::enumerate(results))
    returned.push_back(
        bufferization::MaterializeInDestinationOp::create(
            builder, result.getLoc(), mapping.lookup(result),
            entry->getArgument(inputs.size() + i))
            .getResult());
  for (auto [i, write] : llvm::enumerate(writes)) {
    Value buffer = entry->getArgument(inputs.size() + results.size() + i);
    bufferization::MaterializeInDestinationOp::create(
        builder, write.getLoc(), TypeRange{}, mapping.lookup(write.getSource()),
        buffer, write.getRestrict(), write.getWritable());
  }
  func::ReturnOp::create(builder, loc, returned);
  // The slices made again by the caller, unless the run itself reads them.
  for (Operation *slice : slicedAgain)
    if (Operation *inside = mapping.lookup(slice->getResult(0)).getDefiningOp();
        inside->use_empty())
      inside->erase();
  outlined.push_back(callee);
  lastOutlined = callee;

  // The call, where the run ended; then the gradients said ready in it.
  builder.setInsertionPointAfter(run.ops.back());
  SmallVector<Value> operands(inputs.begin(), inputs.end());
  // A new allocation per destination: tensor.empty would do for bufferization,
  // but CSE merges equal tensor.empty ops, and one buffer passed as two
  // destinations of one call holds only the last result written into it.
  for (Value result : results)
    operands.push_back(bufferization::AllocTensorOp::create(
        builder, result.getLoc(), cast<RankedTensorType>(result.getType()),
        ValueRange{}));
  for (auto write : writes)
    operands.push_back(write.getDest());
  auto call = func::CallOp::create(builder, loc, callee, operands);
  call->setAttr(kInstanceAttr, builder.getStringAttr(run.instance));
  for (Operation *ready : run.readies)
    ready->moveAfter(call);
  IRMapping fromCall;
  for (auto [result, value] : llvm::zip(results, call.getResults()))
    fromCall.map(result, value);
  builder.setInsertionPointAfter(call);
  for (Operation *slice : slicedAgain) {
    Operation *again = builder.clone(*slice, fromCall);
    slice->getResult(0).replaceAllUsesWith(again->getResult(0));
    callerSlices.push_back(again);
  }
  for (auto [result, value] : llvm::zip(results, call.getResults()))
    result.replaceAllUsesWith(value);
  for (auto write : writes)
    write.erase();
  for (Operation *op : llvm::reverse(run.ops))
    op->erase();
  for (Operation *op : llvm::concat<Operation *const>(constants, slicesInside))
    if (op->use_empty() && !llvm::is_contained(callerSlices, op))
      op->erase();
  return true;
}

void Outliner::outlineFunction(func::FuncOp function) {
  if (function.isExternal() || !function.getBody().hasOneBlock())
    return;
  lastOutlined = nullptr;
  callerSlices.clear();
  SmallVector<Run> runs = findRuns(function.front());
  for (auto [index, run] : llvm::enumerate(runs))
    outlineRun(function, run, index);
  // The slices made again that later calls took inside.
  for (Operation *slice : callerSlices)
    if (slice->use_empty())
      slice->erase();
}

void Outliner::share() {
  SmallVector<func::FuncOp> kept;
  // Every dropped function's name to the kept one's, replaced in one walk
  // (SymbolTable::replaceAllSymbolUses walks the module once per name).
  DenseMap<StringAttr, FlatSymbolRefAttr> replacements;
  for (func::FuncOp function : outlined) {
    auto equal = llvm::find_if(kept, [&](func::FuncOp other) {
      return other.getFunctionType() == function.getFunctionType() &&
             OperationEquivalence::isRegionEquivalentTo(
                 &other.getBody(), &function.getBody(),
                 OperationEquivalence::IgnoreLocations);
    });
    if (equal == kept.end()) {
      kept.push_back(function);
      continue;
    }
    replacements[function.getSymNameAttr()] =
        FlatSymbolRefAttr::get(equal->getSymNameAttr());
    function.erase();
  }
  module.walk([&](func::CallOp call) {
    if (FlatSymbolRefAttr callee = replacements.lookup(call.getCalleeAttr().getAttr()))
      call.setCalleeAttr(callee);
  });
}

// --remat-blocks: for every instance of `function` whose calls are a
// forward call and a backward call reading what the forward call computed,
// the forward call made again right before the backward call, into new
// destinations, and the backward call reading those. What the first
// forward call saved then dies at once, except the block's output, which
// the next instance reads.
static void recomputeForwardCalls(func::FuncOp function) {
  llvm::MapVector<StringRef, SmallVector<func::CallOp>> calls;
  function.walk([&](func::CallOp call) {
    if (auto instance = call->getAttrOfType<StringAttr>(kInstanceAttr))
      calls[instance.getValue()].push_back(call);
  });
  for (auto &[instance, list] : calls) {
    if (list.size() != 2)
      continue;
    func::CallOp forward = list[0], backward = list[1];
    bool readsForward = llvm::any_of(backward.getOperands(), [&](Value v) {
      return v.getDefiningOp() == forward.getOperation();
    });
    // A call that writes a caller's buffer is not made twice.
    bool writesBuffers = llvm::any_of(forward.getOperandTypes(), [](Type t) {
      return isa<BaseMemRefType>(t);
    });
    if (!readsForward || writesBuffers)
      continue;
    OpBuilder builder(backward);
    SmallVector<Value> operands;
    for (Value operand : forward.getOperands()) {
      auto destination = operand.getDefiningOp<bufferization::AllocTensorOp>();
      operands.push_back(destination
                             ? bufferization::AllocTensorOp::create(
                                   builder, destination.getLoc(),
                                   destination.getType(), ValueRange{})
                                   .getResult()
                             : operand);
    }
    auto again = func::CallOp::create(builder, forward.getLoc(),
                                      forward.getCalleeAttr(),
                                      forward.getResultTypes(), operands);
    again->setAttrs(forward->getAttrs());
    again->setAttr(kRecomputedAttr, builder.getUnitAttr());
    for (OpOperand &use : backward->getOpOperands())
      if (auto result = dyn_cast<OpResult>(use.get());
          result && result.getOwner() == forward.getOperation())
        use.set(again.getResult(result.getResultNumber()));
  }
}

namespace {
struct LoomOutlineBlocksPass
    : public mlir::loom::impl::LoomOutlineBlocksPassBase<LoomOutlineBlocksPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto repeats = module->getAttrOfType<ArrayAttr>(kRepeatsAttr);
    if (!repeats)
      return;
    SmallVector<StringRef> scopes;
    for (Attribute scope : repeats)
      scopes.push_back(cast<StringAttr>(scope).getValue());
    Outliner outliner(module, scopes);
    for (auto function : llvm::to_vector(module.getOps<func::FuncOp>()))
      if (function.isPublic())
        outliner.outlineFunction(function);
    outliner.share();
    if (recomputeBlocks)
      for (auto function : module.getOps<func::FuncOp>())
        if (function.isPublic())
          recomputeForwardCalls(function);
  }
};
} // namespace
