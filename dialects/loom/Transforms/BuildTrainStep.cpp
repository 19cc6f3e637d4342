//===- BuildTrainStep.cpp - The in-place training step --------------------===//

#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMBUILDTRAINSTEP
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

// What an optimizer needs besides parameters and gradients: per-parameter
// state buffers (named as in torch.optim's state_dict) and scalar
// hyperparameters passed at run time.
struct OptimizerSpec {
  StringRef name;
  SmallVector<StringRef> stateSlots;
  SmallVector<StringRef> hyperparameters;
  // Returns the new parameter followed by the new state, slot by slot.
  SmallVector<Value> (*buildUpdate)(OpBuilder &, Location, Value param,
                                    Value grad, ValueRange state,
                                    ValueRange hypers, Value step);
};

SmallVector<Value> buildSgdUpdate(OpBuilder &builder, Location loc,
                                  Value param, Value grad, ValueRange state,
                                  ValueRange hypers, Value step) {
  auto update = SgdUpdateOp::create(builder, loc, param.getType(),
                                    param.getType(), param, grad, state[0],
                                    /*lr=*/hypers[0], /*momentum=*/hypers[1]);
  return {update.getNewParam(), update.getNewVelocity()};
}

const OptimizerSpec kOptimizers[] = {
    {"sgd", {"momentum_buffer"}, {"lr", "momentum"}, buildSgdUpdate},
};

const OptimizerSpec *lookupOptimizer(StringRef name) {
  for (const OptimizerSpec &spec : kOptimizers)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

// The arguments of train_step, in order, and the attributes that name them.
struct TrainStepSignature {
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  SmallVector<Location> locs;
  unsigned add(Type type, DictionaryAttr attr, Location loc) {
    types.push_back(type);
    attrs.push_back(attr);
    locs.push_back(loc);
    return types.size() - 1;
  }
};

} // namespace

static LogicalResult buildTrainStep(ModuleOp module, func::FuncOp gradFn,
                                    const OptimizerSpec &optimizer) {
  MLIRContext *ctx = module.getContext();
  Builder b(ctx);
  if (module.lookupSymbol("train_step"))
    return gradFn.emitError("a function named 'train_step' already exists");
  if (!gradFn.getBody().hasOneBlock())
    return gradFn.emitError("expected a single-block gradient function");

  // Parameters first, then their gradients, then optimizer state slot by
  // slot, then inputs, then hyperparameters.
  SmallVector<unsigned> paramArgs, inputArgs;
  for (auto [i, info] : llvm::enumerate(describeArguments(gradFn))) {
    if (info.role == ArgumentRole::param)
      paramArgs.push_back(i);
    else if (info.role == ArgumentRole::input)
      inputArgs.push_back(i);
    else
      return gradFn.emitError("argument #")
             << i << " is neither a parameter nor an input";
  }
  if (gradFn.getNumResults() != 1 + paramArgs.size())
    return gradFn.emitError("expected the loss and one gradient per "
                            "parameter as results");

  auto named = [&](StringRef attrName, StringRef value) {
    return b.getNamedAttr(attrName, b.getStringAttr(value));
  };
  TrainStepSignature sig;
  SmallVector<unsigned> newParam, newGrad;
  SmallVector<SmallVector<unsigned>> newState(paramArgs.size());
  SmallVector<unsigned> newInput, newHyper;
  auto bufferOf = [&](unsigned arg) -> Type {
    auto type = cast<RankedTensorType>(gradFn.getArgument(arg).getType());
    return MemRefType::get(type.getShape(), type.getElementType());
  };
  for (unsigned arg : paramArgs)
    newParam.push_back(sig.add(bufferOf(arg), gradFn.getArgAttrDict(arg),
                               gradFn.getArgument(arg).getLoc()));
  for (unsigned arg : paramArgs) {
    ArgumentInfo info = describeArgument(gradFn, arg);
    newGrad.push_back(sig.add(
        bufferOf(arg),
        b.getDictionaryAttr({named(LoomDialect::kGradAttrName, info.name)}),
        gradFn.getArgument(arg).getLoc()));
  }
  for (StringRef slot : optimizer.stateSlots) {
    for (auto [p, arg] : llvm::enumerate(paramArgs)) {
      ArgumentInfo info = describeArgument(gradFn, arg);
      std::string name = (info.name + "." + slot).str();
      newState[p].push_back(sig.add(
          bufferOf(arg),
          b.getDictionaryAttr({named(LoomDialect::kStateAttrName, name)}),
          gradFn.getArgument(arg).getLoc()));
    }
  }
  for (unsigned arg : inputArgs)
    newInput.push_back(sig.add(bufferOf(arg), gradFn.getArgAttrDict(arg),
                               gradFn.getArgument(arg).getLoc()));
  for (StringRef hyper : optimizer.hyperparameters)
    newHyper.push_back(sig.add(
        b.getF32Type(),
        b.getDictionaryAttr({named(LoomDialect::kHyperAttrName, hyper)}),
        gradFn.getLoc()));
  unsigned stepArg = sig.add(
      b.getI64Type(),
      b.getDictionaryAttr({named(LoomDialect::kHyperAttrName, "step")}),
      gradFn.getLoc());

  OpBuilder builder(ctx);
  builder.setInsertionPointAfter(gradFn);
  auto trainStep = func::FuncOp::create(builder, gradFn.getLoc(), "train_step",
                                        b.getFunctionType(sig.types, {}));
  trainStep.setAllArgAttrs(ArrayRef<DictionaryAttr>(sig.attrs));
  Block *entry = trainStep.addEntryBlock();
  for (auto [arg, loc] : llvm::zip(entry->getArguments(), sig.locs))
    arg.setLoc(loc);

  // Parameters, optimizer state and inputs are read as tensors of their
  // buffers; `restrict` promises bufferization that nothing else aliases
  // them, `writable` that the step may update them in place.
  builder.setInsertionPointToStart(entry);
  Location loc = gradFn.getLoc();
  auto asTensor = [&](unsigned argIndex, bool writable) -> Value {
    Value buffer = entry->getArgument(argIndex);
    auto type = cast<MemRefType>(buffer.getType());
    return bufferization::ToTensorOp::create(
        builder, buffer.getLoc(),
        RankedTensorType::get(type.getShape(), type.getElementType()), buffer,
        /*restrict=*/true, writable);
  };
  IRMapping mapping;
  SmallVector<Value> params;
  for (auto [p, arg] : llvm::enumerate(paramArgs)) {
    params.push_back(asTensor(newParam[p], /*writable=*/true));
    mapping.map(gradFn.getArgument(arg), params.back());
  }
  for (auto [i, arg] : llvm::enumerate(inputArgs))
    mapping.map(gradFn.getArgument(arg), asTensor(newInput[i], false));
  SmallVector<SmallVector<Value>> states(paramArgs.size());
  for (auto [p, slots] : llvm::enumerate(newState))
    for (unsigned s : slots)
      states[p].push_back(asTensor(s, /*writable=*/true));

  // The forward and backward computation, cloned from F_grad.
  Block &gradBody = gradFn.front();
  for (Operation &op : gradBody.without_terminator())
    builder.clone(op, mapping);
  auto gradReturn = cast<func::ReturnOp>(gradBody.getTerminator());
  Value loss = mapping.lookup(gradReturn.getOperand(0));

  // Writes `value` into the buffer of argument `argIndex`. Gradient buffers
  // are never read through a tensor, so they are `restrict` and the
  // gradient is computed directly in them; parameters and state are updated
  // through their own tensors, in place, and the write is then a no-op.
  auto writeBack = [&](Value value, unsigned argIndex, bool restrict) {
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, TypeRange{}, value, entry->getArgument(argIndex), restrict,
        /*writable=*/true);
  };
  SmallVector<Value> hypers;
  for (unsigned arg : newHyper)
    hypers.push_back(entry->getArgument(arg));
  Value step = entry->getArgument(stepArg);
  for (auto [p, arg] : llvm::enumerate(paramArgs)) {
    Value grad = mapping.lookup(gradReturn.getOperand(1 + p));
    writeBack(grad, newGrad[p], /*restrict=*/true);
    SmallVector<Value> results = optimizer.buildUpdate(
        builder, params[p].getLoc(), params[p], grad, states[p], hypers, step);
    writeBack(results[0], newParam[p], /*restrict=*/false);
    for (auto [s, value] : llvm::zip(newState[p], ArrayRef(results).drop_front()))
      writeBack(value, s, /*restrict=*/false);
  }

  Value lossScalar =
      tensor::ExtractOp::create(builder, loc, loss, ValueRange{}).getResult();
  func::ReturnOp::create(builder, loc, lossScalar);
  trainStep.setFunctionType(
      b.getFunctionType(sig.types, TypeRange{lossScalar.getType()}));
  gradFn.erase();
  return success();
}

// eval_loss(params, inputs) -> loss: the forward function on the same
// buffers as train_step, reading them without changing them.
static LogicalResult buildEvalLoss(ModuleOp module, func::FuncOp forward) {
  if (module.lookupSymbol("eval_loss"))
    return forward.emitError("a function named 'eval_loss' already exists");
  MLIRContext *ctx = module.getContext();
  Builder b(ctx);
  SmallVector<Type> buffers;
  for (Type type : forward.getArgumentTypes()) {
    auto tensor = cast<RankedTensorType>(type);
    buffers.push_back(MemRefType::get(tensor.getShape(), tensor.getElementType()));
  }
  OpBuilder builder(ctx);
  builder.setInsertionPointAfter(forward);
  auto evalLoss = func::FuncOp::create(
      builder, forward.getLoc(), "eval_loss",
      b.getFunctionType(buffers, {b.getF32Type()}));
  if (ArrayAttr argAttrs = forward.getAllArgAttrs())
    evalLoss.setAllArgAttrs(argAttrs);
  Block *entry = evalLoss.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [arg, buffer] : llvm::zip(forward.getArguments(), entry->getArguments())) {
    buffer.setLoc(arg.getLoc());
    mapping.map(arg, bufferization::ToTensorOp::create(
                         builder, arg.getLoc(), arg.getType(), buffer,
                         /*restrict=*/true, /*writable=*/false));
  }
  for (Operation &op : forward.front().without_terminator())
    builder.clone(op, mapping);
  Value loss = mapping.lookup(forward.front().getTerminator()->getOperand(0));
  Value scalar = tensor::ExtractOp::create(builder, forward.getLoc(), loss,
                                           ValueRange{});
  func::ReturnOp::create(builder, forward.getLoc(), scalar);
  forward.erase();
  return success();
}

namespace {
struct LoomBuildTrainStepPass
    : public mlir::loom::impl::LoomBuildTrainStepBase<LoomBuildTrainStepPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    const OptimizerSpec *spec = lookupOptimizer(optimizer);
    if (!spec) {
      module.emitError("unknown optimizer '") << optimizer << "'; expected sgd";
      return signalPassFailure();
    }
    std::string gradName = functionName + "_grad";
    auto gradFn = module.lookupSymbol<func::FuncOp>(gradName);
    if (!gradFn) {
      module.emitError("no gradient function '")
          << gradName << "'; run -loom-autodiff first";
      return signalPassFailure();
    }
    if (failed(buildTrainStep(module, gradFn, *spec)))
      return signalPassFailure();
    auto forward = module.lookupSymbol<func::FuncOp>(functionName);
    if (!forward) {
      module.emitError("no forward function '") << functionName << "'";
      return signalPassFailure();
    }
    if (failed(buildEvalLoss(module, forward)))
      signalPassFailure();
  }
};
} // namespace
