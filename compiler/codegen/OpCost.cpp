//===- OpCost.cpp - The work and traffic of one loom op -------------------===//

#include "compiler/codegen/OpCost.h"
#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/TypeSwitch.h"
#include <algorithm>

using namespace mlir;
namespace ops = mlir::loom;

// Causal attention's T×T products over a query [B, T, H·D]: 2·B·T²·(H·D)
// each, halved because the mask leaves half of every one.
static double attentionProducts(Value query, double products) {
  auto type = cast<RankedTensorType>(query.getType());
  double batch = type.getDimSize(0), seq = type.getDimSize(1),
         width = type.getDimSize(2);
  return products * 2.0 * batch * seq * seq * width / 2;
}

double loomc::codegen::productFlops(Operation *op) {
  return llvm::TypeSwitch<Operation *, double>(op)
      .Case([](ops::MatmulOp matmul) {
        int64_t inner = ops::matmulInnerSize(matmul.getLhs().getType().getShape(),
                                             matmul.getTransposeLhs());
        return 2.0 * matmul.getResult().getType().getNumElements() * inner;
      })
      .Case([](ops::FusedLinearOp linear) {
        auto [k, n] = linear.getWeightShape();
        double rows = cast<RankedTensorType>(linear.getInput().getType()).getNumElements() / k;
        return 2.0 * rows * k * n;
      })
      .Case([](ops::FusedLinearGradOp grad) {
        auto input = cast<RankedTensorType>(grad.getInput().getType());
        auto output = cast<RankedTensorType>(grad.getOutputGrad().getType());
        double k = input.getShape().back(), n = output.getShape().back();
        double rows = input.getNumElements() / k;
        double products = grad.getWeight() ? 2 : 1; // dW, and dX with W
        return products * 2.0 * rows * k * n;
      })
      .Case([](ops::AttentionOp attention) {
        return attentionProducts(attention.getQuery(), 2);
      })
      .Case([](ops::AttentionGradOp grad) {
        return attentionProducts(grad.getQuery(), 4);
      })
      .Default([](Operation *) { return 0.0; });
}

// The elements of the static memref a run-time-sized tensor was read from
// (an optimizer update reads a run-time range of a whole parameter's
// buffer), or 0 when there is none.
static double staticSourceElements(Value tensor) {
  auto read = tensor.getDefiningOp<bufferization::ToTensorOp>();
  if (!read)
    return 0;
  Value buffer = read.getBuffer();
  while (Operation *view = buffer.getDefiningOp()) {
    if (auto subview = dyn_cast<memref::SubViewOp>(view))
      buffer = subview.getSource();
    else if (auto collapse = dyn_cast<memref::CollapseShapeOp>(view))
      buffer = collapse.getSrc();
    else if (auto expand = dyn_cast<memref::ExpandShapeOp>(view))
      buffer = expand.getSrc();
    else
      break;
  }
  auto type = dyn_cast<MemRefType>(buffer.getType());
  return type && type.hasStaticShape() ? type.getNumElements() : 0;
}

double loomc::codegen::tensorBytes(Operation *op) {
  // Run-time-sized tensors count as the whole buffers they are ranges of:
  // the update of a single-process run, which covers every element.
  double dynamicElements = 0;
  for (Value operand : op->getOperands())
    dynamicElements = std::max(dynamicElements, staticSourceElements(operand));
  double bytes = 0;
  auto add = [&](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      return;
    double elements = tensor.hasStaticShape() ? tensor.getNumElements() : dynamicElements;
    bytes += elements * (tensor.getElementType().getIntOrFloatBitWidth() / 8.0);
  };
  for (Type type : op->getOperandTypes())
    add(type);
  for (Type type : op->getResultTypes())
    add(type);
  return bytes;
}
