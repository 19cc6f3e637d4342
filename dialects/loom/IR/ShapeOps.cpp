//===- ShapeOps.cpp - embedding, slice: verifiers and gradient rules ------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

// ids [L...] with rows of C gathered: [L..., C].
static SmallVector<int64_t> gatheredShape(ArrayRef<int64_t> ids, int64_t width) {
  SmallVector<int64_t> shape(ids);
  shape.push_back(width);
  return shape;
}

//===----------------------------------------------------------------------===//
// loom.embedding — y[l, :] = table[ids[l], :]
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  SmallVector<int64_t> expected = gatheredShape(
      getIds().getType().getShape(), getTable().getType().getDimSize(1));
  if (getResult().getType().getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result must be ")
           << shapeString(expected) << ", a row of "
           << getTable().getType().getDimSize(1) << " for each id, not "
           << shapeString(getResult().getType().getShape());
  return success();
}

// Forward: y[l, c] = T[ids[l], c]. Saves: ids. dT is the scatter-add of dy
// into rows ids[l]; ids get no gradient.
LogicalResult EmbeddingOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         ArrayRef<bool> needsGrad,
                                         SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign({Value(), Value()});
  if (needsGrad[0])
    operandGrads[0] = EmbeddingGradOp::create(builder, getLoc(),
                                              getTable().getType(), getIds(),
                                              resultGrads[0]);
  return success();
}

LogicalResult EmbeddingGradOp::verify() {
  SmallVector<int64_t> expected = gatheredShape(
      getIds().getType().getShape(), getResult().getType().getDimSize(1));
  if (getOutputGrad().getType().getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("output gradient must be ")
           << shapeString(expected) << ", a row for each id, not "
           << shapeString(getOutputGrad().getType().getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// loom.slice — y = x[..., offset : offset + size, ...] along `dim`
//===----------------------------------------------------------------------===//

// `sliced` is x[offset : offset + size] of `full` along `dim`.
static LogicalResult verifySliceShapes(Operation *op, RankedTensorType full,
                                       RankedTensorType sliced, int64_t dim,
                                       int64_t offset) {
  if (full.getRank() != sliced.getRank() || dim < 0 || dim >= full.getRank())
    return op->emitOpError("dimension ")
           << dim << " must be one of the " << full.getRank()
           << " dimensions of both tensors";
  for (int64_t d = 0; d < full.getRank(); ++d)
    if (d != dim && full.getDimSize(d) != sliced.getDimSize(d))
      return op->emitOpError("shapes ")
             << shapeString(full.getShape()) << " and "
             << shapeString(sliced.getShape())
             << " may differ only in dimension " << dim;
  int64_t size = sliced.getDimSize(dim);
  // offset > extent − size rather than offset + size > extent: no overflow.
  if (offset < 0 || offset > full.getDimSize(dim) - size)
    return op->emitOpError("a range of ")
           << size << " at offset " << offset << " exceeds dimension " << dim
           << " of size " << full.getDimSize(dim);
  return success();
}

LogicalResult SliceOp::verify() {
  return verifySliceShapes(*this, getInput().getType(), getResult().getType(),
                           getDim(), getOffset());
}

// Forward: y = x[offset : offset + size]. Saves nothing. dx is dy placed at
// offset in zeros; the adjoints of several slices of one tensor add up.
LogicalResult SliceOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                     ArrayRef<bool> needsGrad,
                                     SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign({Value()});
  if (needsGrad[0])
    operandGrads[0] =
        SliceGradOp::create(builder, getLoc(), getInput().getType(),
                            resultGrads[0], getDimAttr(), getOffsetAttr(),
                            getPosition());
  return success();
}

LogicalResult SliceGradOp::verify() {
  return verifySliceShapes(*this, getResult().getType(),
                           getOutputGrad().getType(), getDim(), getOffset());
}
