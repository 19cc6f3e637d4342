//===- LoomBuilders.cpp - Building loom ops with derived types ------------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

std::string mlir::loom::shapeString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i > 0)
      text += "x";
    text += std::to_string(dim);
  }
  return text;
}

std::pair<int64_t, int64_t>
mlir::loom::matmulOperandShape(RankedTensorType type, bool transposed) {
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  return transposed ? std::make_pair(cols, rows) : std::make_pair(rows, cols);
}

FailureOr<SmallVector<int64_t>>
mlir::loom::addResultShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  ArrayRef<int64_t> longer = lhs.size() >= rhs.size() ? lhs : rhs;
  ArrayRef<int64_t> shorter = lhs.size() >= rhs.size() ? rhs : lhs;
  if (longer.take_back(shorter.size()) != shorter)
    return failure();
  return SmallVector<int64_t>(longer);
}

static RankedTensorType f32Tensor(Builder &builder, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, builder.getF32Type());
}

Value mlir::loom::createMatmul(OpBuilder &builder, Location loc, Value lhs,
                               Value rhs, bool transposeLhs,
                               bool transposeRhs) {
  auto [rows, inner] =
      matmulOperandShape(cast<RankedTensorType>(lhs.getType()), transposeLhs);
  auto [rhsInner, cols] =
      matmulOperandShape(cast<RankedTensorType>(rhs.getType()), transposeRhs);
  (void)inner;
  (void)rhsInner;
  auto op = MatmulOp::create(builder, loc, f32Tensor(builder, {rows, cols}),
                             lhs, rhs, transposeLhs, transposeRhs);
  return op.getResult();
}

Value mlir::loom::createAdd(OpBuilder &builder, Location loc, Value lhs,
                            Value rhs) {
  FailureOr<SmallVector<int64_t>> shape =
      addResultShape(cast<RankedTensorType>(lhs.getType()).getShape(),
                     cast<RankedTensorType>(rhs.getType()).getShape());
  // An invalid combination still builds an op so that its verifier reports it.
  ArrayRef<int64_t> resultShape =
      succeeded(shape) ? ArrayRef<int64_t>(*shape)
                       : cast<RankedTensorType>(lhs.getType()).getShape();
  return AddOp::create(builder, loc, f32Tensor(builder, resultShape), lhs, rhs)
      .getResult();
}

Value mlir::loom::createReduceSumTo(OpBuilder &builder, Location loc,
                                    Value input, ArrayRef<int64_t> shape) {
  if (cast<RankedTensorType>(input.getType()).getShape() == shape)
    return input;
  return ReduceSumOp::create(builder, loc, f32Tensor(builder, shape), input)
      .getResult();
}
