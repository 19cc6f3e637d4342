//===- ComputeInF64.cpp - The forward and backward passes in f64 ----------===//
//
// `loomc --precision=fp64` exists for checking: finite differences of an f32
// loss measure rounding as much as the gradient, as torch.autograd.gradcheck
// warns. The runtime, the checkpoints and abi.h hold every tensor in f32,
// and they keep doing so: this pass widens at the boundary instead, so that
// an fp64 build is the same executable with the same tensors, whose entry
// points compute in f64 from f32 values and round only what they store.
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMCOMPUTEINF64PASS
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

// `type` with f32 (alone or as a tensor's elements) made f64; null when it
// holds no f32.
Type widened(Type type) {
  Builder b(type.getContext());
  if (type.isF32())
    return b.getF64Type();
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    if (tensor.getElementType().isF32())
      return tensor.clone(b.getF64Type());
  return nullptr;
}

// An f32 constant's value as f64; null for other attributes.
Attribute widenedConstant(Attribute value) {
  if (auto scalar = dyn_cast<FloatAttr>(value))
    if (scalar.getType().isF32())
      return FloatAttr::get(Float64Type::get(value.getContext()),
                            scalar.getValueAsDouble());
  auto dense = dyn_cast<DenseFPElementsAttr>(value);
  if (!dense || !dense.getElementType().isF32())
    return nullptr;
  auto type = cast<ShapedType>(widened(dense.getType()));
  if (dense.isSplat())
    return DenseElementsAttr::get(type, double(dense.getSplatValue<float>()));
  SmallVector<double> values;
  for (float element : dense.getValues<float>())
    values.push_back(element);
  return DenseElementsAttr::get(type, ArrayRef<double>(values));
}

LogicalResult computeInF64(func::FuncOp function) {
  Block &entry = function.front();
  OpBuilder builder(function.getContext());

  // The boundary: values read from buffers (and any f32 argument) are
  // widened once, right where they appear.
  SmallVector<Operation *> boundary;
  auto widenAt = [&](Value value) {
    Type wide = widened(value.getType());
    if (!wide || value.use_empty())
      return;
    auto ext = arith::ExtFOp::create(builder, value.getLoc(), wide, value);
    value.replaceAllUsesExcept(ext, ext);
    boundary.push_back(ext);
  };
  builder.setInsertionPointToStart(&entry);
  for (BlockArgument argument : entry.getArguments())
    widenAt(argument);
  function.walk([&](bufferization::ToTensorOp read) {
    builder.setInsertionPointAfter(read);
    widenAt(read.getResult());
  });

  // Everything else computes in f64: results, block arguments of nested
  // regions, and the constants they start from.
  WalkResult walk = function.walk([&](Operation *op) -> WalkResult {
    if (op == function || llvm::is_contained(boundary, op) ||
        isa<bufferization::ToTensorOp, bufferization::MaterializeInDestinationOp,
            func::ReturnOp>(op))
      return WalkResult::advance();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument argument : block.getArguments())
          if (Type wide = widened(argument.getType()))
            argument.setType(wide);
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (!widened(constant.getType()))
        return WalkResult::advance();
      Attribute value = widenedConstant(constant.getValue());
      if (!value)
        return op->emitOpError("-loom-compute-in-f64: cannot widen this "
                               "constant to f64");
      constant.setValueAttr(cast<TypedAttr>(value));
      constant.getResult().setType(cast<TypedAttr>(value).getType());
      return WalkResult::advance();
    }
    for (OpResult result : op->getResults())
      if (Type wide = widened(result.getType()))
        result.setType(wide);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  // Stores into buffers round to their element type; a returned loss is
  // returned in f64.
  function.walk([&](bufferization::MaterializeInDestinationOp store) {
    auto source = cast<RankedTensorType>(store.getSource().getType());
    Type element = cast<ShapedType>(store.getDest().getType()).getElementType();
    if (source.getElementType() == element)
      return;
    builder.setInsertionPoint(store);
    Value rounded = arith::TruncFOp::create(builder, store.getLoc(),
                                            source.clone(element), store.getSource());
    store.getSourceMutable().assign(rounded);
  });
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  function.setType(FunctionType::get(function.getContext(),
                                     function.getArgumentTypes(),
                                     ret.getOperandTypes()));
  return success();
}

struct LoomComputeInF64Pass
    : mlir::loom::impl::LoomComputeInF64PassBase<LoomComputeInF64Pass> {
  using LoomComputeInF64PassBase::LoomComputeInF64PassBase;

  void runOnOperation() override {
    SmallVector<std::string> names(functions.begin(), functions.end());
    if (names.empty())
      names = {"forward_backward", "eval_loss", "prefill", "decode"};
    for (const std::string &name : names) {
      auto function = getOperation().lookupSymbol<func::FuncOp>(name);
      if (!function || function.isExternal())
        continue;
      if (failed(computeInF64(function)))
        return signalPassFailure();
    }
  }
};

} // namespace
