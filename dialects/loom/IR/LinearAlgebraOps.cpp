//===- LinearAlgebraOps.cpp - matmul: verifier and gradient rule ----------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

//===----------------------------------------------------------------------===//
// loom.matmul — C = op(A) · op(B)
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  std::string why;
  FailureOr<SmallVector<int64_t>> shape =
      matmulResultShape(getLhs().getType().getShape(),
                        getRhs().getType().getShape(), getTransposeLhs(),
                        getTransposeRhs(), why);
  if (failed(shape))
    return emitOpError() << why;
  ArrayRef<int64_t> resultShape = getResult().getType().getShape();
  if (resultShape != ArrayRef<int64_t>(*shape))
    return emitOpError("result must be ")
           << shapeString(*shape) << ", the shape of the product, not "
           << shapeString(resultShape);
  return success();
}

// Forward: C[l, n] = Σ_k op(A)[l, k] · op(B)[k, n], rows l of any rank.
// Saves: A and B themselves. Each case is dA = dC · op(B)ᵀ and
// dB = op(A)ᵀ · dC, re-expressed with the transpose flags so that no
// transposed copy is built; with batch-like rows, "Aᵀ·dC" sums over them.
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
                        /*transposeRhs=*/true); // dA = op(B)·dCᵀ
  }
  if (needsGrad[1]) {
    if (!tb)
      db = createMatmul(builder, loc, a, dc, /*transposeLhs=*/!ta,
                        /*transposeRhs=*/false); // dB = op(A)ᵀ·dC
    else
      db = createMatmul(builder, loc, dc, a, /*transposeLhs=*/true,
                        /*transposeRhs=*/ta); // dB = dCᵀ·op(A)
  }
  operandGrads.assign({da, db});
  return success();
}
