//===- Autodiff.cpp - Reverse-mode automatic differentiation --------------===//
//
// Clones F(params, inputs) -> loss into F_grad(params, inputs) -> (loss,
// dloss/dparams...). The sweep mirrors llm.c's model backward: the forward ops
// are visited in exactly the reverse of their order, each contributing the
// adjoints of its operands through its gradient rule.
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMAUTODIFFPASS
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

// The state of one reverse sweep: which values carry adjoints and their sums.
class ReverseSweep {
public:
  ReverseSweep(func::FuncOp function) : function(function) {}

  // Builds the backward ops before the terminator and returns the adjoint of
  // each parameter argument, in argument order.
  FailureOr<SmallVector<Value>> run(Value loss);

private:
  void findActiveValues(Value loss);
  bool needsAdjoint(Value value) const {
    return varied.contains(value) && useful.contains(value);
  }
  void accumulate(OpBuilder &builder, Value value, Value grad);

  func::FuncOp function;
  // Values that depend on a parameter, and values the loss depends on: only
  // values in both need an adjoint.
  DenseSet<Value> varied, useful;
  DenseMap<Value, Value> adjoints;
};

} // namespace

void ReverseSweep::findActiveValues(Value loss) {
  Block &body = function.front();
  for (auto [i, info] : llvm::enumerate(describeArguments(function)))
    if (info.role == ArgumentRole::param)
      varied.insert(body.getArgument(i));
  for (Operation &op : body.without_terminator())
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return varied.contains(v); }))
      varied.insert(op.result_begin(), op.result_end());
  useful.insert(loss);
  for (Operation &op : llvm::reverse(body.without_terminator()))
    if (llvm::any_of(op.getResults(),
                     [&](Value v) { return useful.contains(v); }))
      useful.insert(op.operand_begin(), op.operand_end());
}

void ReverseSweep::accumulate(OpBuilder &builder, Value value, Value grad) {
  auto [it, inserted] = adjoints.try_emplace(value, grad);
  if (!inserted)
    it->second = createAdd(builder, grad.getLoc(), it->second, grad);
}

FailureOr<SmallVector<Value>> ReverseSweep::run(Value loss) {
  findActiveValues(loss);
  Block &body = function.front();
  Operation *terminator = body.getTerminator();
  SmallVector<Operation *> forwardOps;
  for (Operation &op : body.without_terminator())
    forwardOps.push_back(&op);

  OpBuilder builder(terminator);
  adjoints[loss] = arith::ConstantOp::create(
      builder, loss.getLoc(),
      DenseElementsAttr::get(cast<ShapedType>(loss.getType()), 1.0f));

  for (Operation *op : llvm::reverse(forwardOps)) {
    if (llvm::none_of(op->getResults(),
                      [&](Value v) { return adjoints.contains(v); }))
      continue;
    auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
    if (!differentiable)
      return op->emitError("'")
             << op->getName()
             << "' has no gradient rule, so the loss cannot be differentiated "
                "through it";
    SmallVector<Value> resultGrads;
    for (Value result : op->getResults()) {
      Value grad = adjoints.lookup(result);
      if (!grad)
        grad = ZerosOp::create(builder, op->getLoc(), result.getType());
      resultGrads.push_back(grad);
    }
    SmallVector<bool> needsGrad;
    for (Value operand : op->getOperands())
      needsGrad.push_back(needsAdjoint(operand));
    SmallVector<Value> operandGrads;
    if (failed(differentiable.buildGradient(builder, resultGrads, needsGrad,
                                            operandGrads)))
      return op->emitError("gradient rule failed");
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      if (grad)
        accumulate(builder, operand, grad);
  }

  SmallVector<Value> paramGrads;
  for (auto [i, info] : llvm::enumerate(describeArguments(function))) {
    if (info.role != ArgumentRole::param)
      continue;
    BlockArgument param = body.getArgument(i);
    Value grad = adjoints.lookup(param);
    if (!grad) {
      emitWarning(param.getLoc(), "parameter '")
          << info.name << "' does not influence the loss; its gradient is zero";
      grad = ZerosOp::create(builder, param.getLoc(), param.getType());
    }
    paramGrads.push_back(grad);
  }
  return paramGrads;
}

static LogicalResult differentiate(func::FuncOp forward, ModuleOp module) {
  FunctionType type = forward.getFunctionType();
  auto lossType = type.getNumResults() == 1
                      ? dyn_cast<RankedTensorType>(type.getResult(0))
                      : RankedTensorType();
  if (!lossType || lossType.getRank() != 0 ||
      !lossType.getElementType().isF32())
    return forward.emitError("can only differentiate a function that returns "
                             "one scalar loss, tensor<f32>; '")
           << forward.getSymName() << "' returns " << type.getResults();
  if (!forward.getBody().hasOneBlock())
    return forward.emitError("can only differentiate a single-block function");

  std::string gradName = gradientFunctionName(forward.getSymName());
  if (module.lookupSymbol(gradName))
    return forward.emitError("a function named '")
           << gradName << "' already exists";

  SmallVector<Type> resultTypes = {lossType};
  SmallVector<Attribute> resultAttrs = {DictionaryAttr::get(module.getContext())};
  Builder attrBuilder(module.getContext());
  for (auto [i, info] : llvm::enumerate(describeArguments(forward))) {
    if (info.role != ArgumentRole::param)
      continue;
    resultTypes.push_back(info.type);
    resultAttrs.push_back(attrBuilder.getDictionaryAttr(attrBuilder.getNamedAttr(
        kGradAttr, attrBuilder.getStringAttr(info.name))));
  }

  OpBuilder builder(module.getContext());
  builder.setInsertionPointAfter(forward);
  auto gradFn = func::FuncOp::create(
      builder, forward.getLoc(), gradName,
      builder.getFunctionType(type.getInputs(), resultTypes));
  if (ArrayAttr argAttrs = forward.getAllArgAttrs())
    gradFn.setAllArgAttrs(argAttrs);
  gradFn.setAllResultAttrs(resultAttrs);
  IRMapping mapping;
  forward.getBody().cloneInto(&gradFn.getBody(), mapping);

  auto ret = cast<func::ReturnOp>(gradFn.front().getTerminator());
  Value loss = ret.getOperand(0);
  ReverseSweep sweep(gradFn);
  FailureOr<SmallVector<Value>> grads = sweep.run(loss);
  if (failed(grads)) {
    gradFn.erase();
    return failure();
  }
  SmallVector<Value> results = {loss};
  llvm::append_range(results, *grads);
  builder.setInsertionPoint(ret);
  func::ReturnOp::create(builder, ret.getLoc(), results);
  ret.erase();
  return success();
}

namespace {
struct LoomAutodiffPass
    : public mlir::loom::impl::LoomAutodiffPassBase<LoomAutodiffPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> models;
    if (!functionName.empty()) {
      auto forward = module.lookupSymbol<func::FuncOp>(functionName);
      if (!forward) {
        module.emitError("no function named '")
            << functionName << "' to differentiate";
        return signalPassFailure();
      }
      models.push_back(forward);
    } else {
      // Every function with parameters, but for the gradients of others.
      for (auto function : module.getOps<func::FuncOp>()) {
        StringRef name = function.getSymName();
        bool hasParams = llvm::any_of(
            describeArguments(function), [](const ArgumentInfo &info) {
              return info.role == ArgumentRole::param;
            });
        bool isGradient =
            name.ends_with(kGradientSuffix) &&
            module.lookupSymbol(name.drop_back(kGradientSuffix.size()));
        if (hasParams && !isGradient)
          models.push_back(function);
      }
      if (models.empty()) {
        module.emitError("no function with loom.param arguments to "
                         "differentiate");
        return signalPassFailure();
      }
    }
    for (func::FuncOp forward : models)
      if (failed(differentiate(forward, module)))
        return signalPassFailure();
  }
};
} // namespace
