//===- LinearAlgebraOps.cpp - matmul: verifier and gradient rule ----------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

//===----------------------------------------------------------------------===//
// loom.matmul — C = op(A) · op(B)
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  auto [rows, inner] =
      matmulOperandShape(getLhs().getType(), getTransposeLhs());
  auto [rhsInner, cols] =
      matmulOperandShape(getRhs().getType(), getTransposeRhs());
  if (inner != rhsInner)
    return emitOpError("inner dimensions differ: lhs is ")
           << rows << "x" << inner << " and rhs is " << rhsInner << "x" << cols
           << " after transposition";
  ArrayRef<int64_t> resultShape = getResult().getType().getShape();
  if (resultShape[0] != rows || resultShape[1] != cols)
    return emitOpError("result must be ")
           << rows << "x" << cols << ", the shape of the product, not "
           << shapeString(resultShape);
  return success();
}

// Forward: C[m, n] = Σ_k op(A)[m, k] · op(B)[k, n]. Saves: A and B themselves.
// Each case below is dA = dC · op(B)ᵀ and dB = op(A)ᵀ · dC, re-expressed with
// the transpose flags so that no transposed copy is ever built.
LogicalResult MatmulOp::buildGradient(OpBuilder &builder,
                                      ValueRange resultGrads,
                                      ArrayRef<bool> needsGrad,
                                      SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  Value a = getLhs(), b = getRhs(), dc = resultGrads[0];
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Value da, db;
  if (needsGrad[0]) {
    if (!ta)
      da = createMatmul(builder, loc, dc, b, /*transposeLhs=*/false,
                        /*transposeRhs=*/!tb); // dA = dC·op(B)ᵀ
    else
      da = createMatmul(builder, loc, b, dc, /*transposeLhs=*/tb,
                        /*transposeRhs=*/true); // dA = (dC·op(B)ᵀ)ᵀ = op(B)·dCᵀ
  }
  if (needsGrad[1]) {
    if (!tb)
      db = createMatmul(builder, loc, a, dc, /*transposeLhs=*/!ta,
                        /*transposeRhs=*/false); // dB = op(A)ᵀ·dC
    else
      db = createMatmul(builder, loc, dc, a, /*transposeLhs=*/true,
                        /*transposeRhs=*/ta); // dB = (op(A)ᵀ·dC)ᵀ = dCᵀ·op(A)
  }
  operandGrads.assign({da, db});
  return success();
}
