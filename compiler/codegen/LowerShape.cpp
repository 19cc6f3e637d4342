//===- LowerShape.cpp - embedding and slice ops to linalg and tensor ------===//

#include "compiler/codegen/Lowerings.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;

// y[l..., c] = table[ids[l...], c]: a gather, one row per id.
static Value lower(LinalgBuilder &l, ops::EmbeddingOp op) {
  auto type = op.getResult().getType();
  unsigned rank = type.getRank();
  Value table = op.getTable();
  SmallVector<unsigned> idDims, allDims;
  for (unsigned d = 0; d < rank; ++d) {
    allDims.push_back(d);
    if (d + 1 < rank)
      idDims.push_back(d);
  }
  return l.generic({op.getIds()}, {l.empty(type)},
                   {l.dimsMap(rank, idDims), l.dimsMap(rank, allDims)},
                   SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                   [&](OpBuilder &b, Location loc, ValueRange args) {
                     Value row = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                            args[0]);
                     Value col = linalg::IndexOp::create(b, loc, rank - 1);
                     return SmallVector<Value>{tensor::ExtractOp::create(
                         b, loc, table, ValueRange{row, col})};
                   })
      .getResult(0);
}

// dT[v, :] = Σ_{n : ids[n] = v} dy[n, :]: rows added one id at a time, in
// order (so repeated ids accumulate deterministically), 16 lanes at a time.
static Value lower(LinalgBuilder &l, ops::EmbeddingGradOp op) {
  constexpr int64_t kLanes = 16;
  auto idsType = op.getIds().getType();
  SmallVector<ReassociationIndices> all(1);
  for (int64_t d = 0; d < idsType.getRank(); ++d)
    all[0].push_back(d);
  Value ids = idsType.getRank() == 1
                  ? op.getIds()
                  : Value(tensor::CollapseShapeOp::create(l.b, l.loc, op.getIds(), all));
  Value dy = l.collapseRows(op.getOutputGrad());
  auto dyType = cast<RankedTensorType>(dy.getType());
  int64_t tokens = dyType.getDimSize(0), width = dyType.getDimSize(1);
  auto vecType = VectorType::get({kLanes}, l.element);
  Value zero = l.floatConstant(0.0);
  auto rows = scf::ForOp::create(
      l.b, l.loc, l.index(0), l.index(tokens), l.index(1),
      ValueRange{l.filled(op.getResult().getType(), 0.0)},
      [&](OpBuilder &b, Location loc, Value n, ValueRange acc) {
        Value id = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            tensor::ExtractOp::create(b, loc, ids, ValueRange{n}));
        auto cols = scf::ForOp::create(
            b, loc, arith::ConstantIndexOp::create(b, loc, 0),
            arith::ConstantIndexOp::create(b, loc, width),
            arith::ConstantIndexOp::create(b, loc, kLanes), ValueRange{acc[0]},
            [&](OpBuilder &nb, Location nl, Value c, ValueRange table) {
              Value grad = vector::TransferReadOp::create(
                  nb, nl, vecType, dy, ValueRange{n, c}, zero, ArrayRef<bool>{false});
              Value row = vector::TransferReadOp::create(
                  nb, nl, vecType, table[0], ValueRange{id, c}, zero,
                  ArrayRef<bool>{false});
              Value sum = arith::AddFOp::create(nb, nl, row, grad);
              Value updated = vector::TransferWriteOp::create(
                                  nb, nl, sum, table[0], ValueRange{id, c},
                                  ArrayRef<bool>{false})
                                  .getResult();
              scf::YieldOp::create(nb, nl, updated);
            });
        scf::YieldOp::create(b, loc, cols.getResult(0));
      });
  rows->setAttr(mlir::loom::kScatterAddAttr, l.b.getUnitAttr());
  return rows.getResult(0);
}

// The window of a slice of shape `sliced` at `offset` along `dim` of the
// whole tensor (plus a run-time `position` when given): offsets, sizes and
// (unit) strides.
struct SliceWindow {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};

static SliceWindow sliceWindow(LinalgBuilder &l, RankedTensorType sliced,
                               int64_t dim, int64_t offset, Value position) {
  SliceWindow window;
  window.offsets.assign(sliced.getRank(), l.b.getIndexAttr(0));
  window.offsets[dim] = l.b.getIndexAttr(offset);
  if (position)
    window.offsets[dim] =
        offset == 0 ? position
                    : Value(arith::AddIOp::create(l.b, l.loc, position,
                                                  l.index(offset)));
  window.strides.assign(sliced.getRank(), l.b.getIndexAttr(1));
  for (int64_t size : sliced.getShape())
    window.sizes.push_back(l.b.getIndexAttr(size));
  return window;
}

// y = x[offset : offset + size] along one dimension.
static Value lower(LinalgBuilder &l, ops::SliceOp op) {
  auto resultType = op.getResult().getType();
  SliceWindow w = sliceWindow(l, resultType, op.getDim(), op.getOffset(),
                              op.getPosition());
  return tensor::ExtractSliceOp::create(l.b, l.loc, resultType, op.getInput(),
                                        w.offsets, w.sizes, w.strides);
}

// dy placed at offset in zeros.
static Value lower(LinalgBuilder &l, ops::SliceGradOp op) {
  SliceWindow w = sliceWindow(l, op.getOutputGrad().getType(), op.getDim(),
                              op.getOffset(), op.getPosition());
  return tensor::InsertSliceOp::create(l.b, l.loc, op.getOutputGrad(),
                                       l.filled(op.getResult().getType(), 0.0),
                                       w.offsets, w.sizes, w.strides);
}

Lowered loomc::codegen::lowerShapeOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::EmbeddingOp, ops::EmbeddingGradOp, ops::SliceOp, ops::SliceGradOp>(
          [&](auto concrete) { return SmallVector<Value>{lower(l, concrete)}; })
      .Default([](Operation *) { return std::nullopt; });
}
