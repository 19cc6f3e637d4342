//===- LoomBuilders.cpp - Building loom ops with derived types ------------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/IR/TypeUtilities.h"

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

SmallVector<int64_t> mlir::loom::withLastDim(ArrayRef<int64_t> shape,
                                             int64_t last) {
  SmallVector<int64_t> result(shape);
  result.back() = last;
  return result;
}

int64_t mlir::loom::matmulInnerSize(ArrayRef<int64_t> lhs, bool transposeLhs) {
  // x·W and x·Wᵀ contract the last dimension of x; xᵀ·y contracts its rows,
  // and for matrices Aᵀ·… contracts A's first dimension.
  if (!transposeLhs)
    return lhs.back();
  int64_t rows = 1;
  for (int64_t dim : lhs.drop_back())
    rows *= dim;
  return rows;
}

FailureOr<SmallVector<int64_t>>
mlir::loom::matmulResultShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                              bool transposeLhs, bool transposeRhs,
                              std::string &why) {
  auto describe = [&](StringRef problem) {
    why = (problem + ": lhs is " + shapeString(lhs) + " and rhs is " +
           shapeString(rhs))
              .str();
    return failure();
  };
  if (lhs.size() < 2 || rhs.size() < 2)
    return describe("operands must have at least 2 dimensions");
  if (transposeLhs && transposeRhs) {
    if (lhs.size() != 2 || rhs.size() != 2)
      return describe("with both operands transposed, both must be matrices");
    if (lhs[0] != rhs[1])
      return describe("inner dimensions differ after transposition");
    return SmallVector<int64_t>{lhs[1], rhs[0]};
  }
  if (transposeLhs) {
    // xᵀ·y: both [L..., ·], contracted over all rows L...
    if (lhs.size() != rhs.size() || lhs.drop_back() != rhs.drop_back())
      return describe("the rows of both operands must agree to contract "
                      "over them");
    return SmallVector<int64_t>{lhs.back(), rhs.back()};
  }
  if (rhs.size() != 2)
    return describe("the right operand must be a matrix");
  int64_t inner = transposeRhs ? rhs[1] : rhs[0];
  if (lhs.back() != inner)
    return describe(transposeRhs ? "inner dimensions differ after transposition"
                                 : "inner dimensions differ");
  return withLastDim(lhs, transposeRhs ? rhs[0] : rhs[1]);
}

FailureOr<SmallVector<int64_t>>
mlir::loom::addResultShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  ArrayRef<int64_t> longer = lhs.size() >= rhs.size() ? lhs : rhs;
  ArrayRef<int64_t> shorter = lhs.size() >= rhs.size() ? rhs : lhs;
  if (longer.take_back(shorter.size()) != shorter)
    return failure();
  return SmallVector<int64_t>(longer);
}

// A tensor of `shape` with the element type of `like` (f32, or f64 in
// -loom-compute-in-f64's entry points).
static RankedTensorType tensorLike(Value like, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, getElementTypeOrSelf(like.getType()));
}

Value mlir::loom::createMatmul(OpBuilder &builder, Location loc, Value lhs,
                               Value rhs, bool transposeLhs,
                               bool transposeRhs) {
  std::string why;
  FailureOr<SmallVector<int64_t>> shape =
      matmulResultShape(cast<RankedTensorType>(lhs.getType()).getShape(),
                        cast<RankedTensorType>(rhs.getType()).getShape(),
                        transposeLhs, transposeRhs, why);
  // An invalid combination still builds an op so that its verifier reports it.
  ArrayRef<int64_t> resultShape =
      succeeded(shape) ? ArrayRef<int64_t>(*shape)
                       : cast<RankedTensorType>(lhs.getType()).getShape();
  return MatmulOp::create(builder, loc, tensorLike(lhs, resultShape), lhs,
                          rhs, transposeLhs, transposeRhs)
      .getResult();
}

Value mlir::loom::createAdd(OpBuilder &builder, Location loc, Value lhs,
                            Value rhs) {
  FailureOr<SmallVector<int64_t>> shape =
      addResultShape(cast<RankedTensorType>(lhs.getType()).getShape(),
                     cast<RankedTensorType>(rhs.getType()).getShape());
  ArrayRef<int64_t> resultShape =
      succeeded(shape) ? ArrayRef<int64_t>(*shape)
                       : cast<RankedTensorType>(lhs.getType()).getShape();
  return AddOp::create(builder, loc, tensorLike(lhs, resultShape), lhs, rhs)
      .getResult();
}

Value mlir::loom::createReduceSumTo(OpBuilder &builder, Location loc,
                                    Value input, ArrayRef<int64_t> shape) {
  if (cast<RankedTensorType>(input.getType()).getShape() == shape)
    return input;
  return ReduceSumOp::create(builder, loc, tensorLike(input, shape), input)
      .getResult();
}

Value mlir::loom::createActivation(OpBuilder &builder, Location loc,
                                   Activation activation, Value input) {
  std::optional<RegisteredOperationName> name =
      activationOpName(builder.getContext(), activation);
  if (!name)
    return input;
  OperationState state(loc, *name);
  state.addOperands(input);
  state.addTypes(input.getType());
  return builder.create(state)->getResult(0);
}
