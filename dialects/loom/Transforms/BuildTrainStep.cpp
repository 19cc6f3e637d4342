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

  auto writable = b.getNamedAttr("bufferization.writable", b.getBoolAttr(true));
  auto named = [&](StringRef attrName, StringRef value) {
    return b.getNamedAttr(attrName, b.getStringAttr(value));
  };
  TrainStepSignature sig;
  SmallVector<unsigned> newParam, newGrad;
  SmallVector<SmallVector<unsigned>> newState(paramArgs.size());
  SmallVector<unsigned> newInput, newHyper;
  for (unsigned arg : paramArgs) {
    SmallVector<NamedAttribute> attrs(gradFn.getArgAttrDict(arg) ? gradFn.getArgAttrDict(arg).getValue() : ArrayRef<NamedAttribute>());
    attrs.push_back(writable);
    newParam.push_back(sig.add(gradFn.getArgument(arg).getType(),
                               b.getDictionaryAttr(attrs),
                               gradFn.getArgument(arg).getLoc()));
  }
  for (unsigned arg : paramArgs) {
    ArgumentInfo info = describeArgument(gradFn, arg);
    newGrad.push_back(sig.add(
        info.type,
        b.getDictionaryAttr({named(LoomDialect::kGradAttrName, info.name), writable}),
        gradFn.getArgument(arg).getLoc()));
  }
  for (StringRef slot : optimizer.stateSlots) {
    for (auto [p, arg] : llvm::enumerate(paramArgs)) {
      ArgumentInfo info = describeArgument(gradFn, arg);
      std::string name = (info.name + "." + slot).str();
      newState[p].push_back(sig.add(
          info.type,
          b.getDictionaryAttr({named(LoomDialect::kStateAttrName, name),
                               writable}),
          gradFn.getArgument(arg).getLoc()));
    }
  }
  for (unsigned arg : inputArgs)
    newInput.push_back(sig.add(gradFn.getArgument(arg).getType(),
                               gradFn.getArgAttrDict(arg),
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

  // The forward and backward computation, cloned from F_grad.
  IRMapping mapping;
  for (auto [p, arg] : llvm::enumerate(paramArgs))
    mapping.map(gradFn.getArgument(arg), entry->getArgument(newParam[p]));
  for (auto [i, arg] : llvm::enumerate(inputArgs))
    mapping.map(gradFn.getArgument(arg), entry->getArgument(newInput[i]));
  builder.setInsertionPointToStart(entry);
  Block &gradBody = gradFn.front();
  for (Operation &op : gradBody.without_terminator())
    builder.clone(op, mapping);
  auto gradReturn = cast<func::ReturnOp>(gradBody.getTerminator());
  Value loss = mapping.lookup(gradReturn.getOperand(0));

  // Write every new value into the buffer of the argument it replaces.
  Location loc = gradFn.getLoc();
  SmallVector<Value> updated(sig.types.size());
  auto writeBack = [&](Value value, unsigned argIndex) {
    Value dest = entry->getArgument(argIndex);
    updated[argIndex] =
        bufferization::MaterializeInDestinationOp::create(builder, loc, value,
                                                          dest)
            .getResult();
  };
  SmallVector<Value> hypers;
  for (unsigned arg : newHyper)
    hypers.push_back(entry->getArgument(arg));
  Value step = entry->getArgument(stepArg);
  for (auto [p, arg] : llvm::enumerate(paramArgs)) {
    Value grad = mapping.lookup(gradReturn.getOperand(1 + p));
    writeBack(grad, newGrad[p]);
    Value param = entry->getArgument(newParam[p]);
    SmallVector<Value> state;
    for (unsigned s : newState[p])
      state.push_back(entry->getArgument(s));
    SmallVector<Value> results = optimizer.buildUpdate(
        builder, param.getLoc(), param, grad, state, hypers, step);
    writeBack(results[0], newParam[p]);
    for (auto [s, value] : llvm::zip(newState[p], ArrayRef(results).drop_front()))
      writeBack(value, s);
  }

  // Returns the loss as a plain f32 and, for bufferization, every written
  // buffer in argument order.
  SmallVector<Value> returned = {
      tensor::ExtractOp::create(builder, loc, loss, ValueRange{}).getResult()};
  for (Value value : updated)
    if (value)
      returned.push_back(value);
  func::ReturnOp::create(builder, loc, returned);
  trainStep.setFunctionType(
      b.getFunctionType(sig.types, ValueRange(returned).getTypes()));
  gradFn.erase();
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
      signalPassFailure();
  }
};
} // namespace
