//===- FewRowProduct.cpp - Products of a few rows, streaming the weight ---===//
//
// A decode step multiplies one row (or a --sample-batch of a few) by every
// weight: its products do a multiply-add per weight element and are bound
// by reading the weights once. The general product suits many rows and
// reads them badly here. Measured on GPT-2 small's decode step: packing the
// tied lm_head's wteᵀ (154 MB copied per token for one row of work) took
// half the step, and x·W in 64-column thread blocks walked down W with a
// stride of a whole row, a new page every row or so, at half the bandwidth
// of a sequential read. Both forms here read W in the order it is stored.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/LinalgBuilder.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;

// Lanes of a step: four AVX-512 registers, four independent chains of FMAs.
static constexpr int64_t kLanes = 64;
// The slices of k that threads share in x·W: enough for two or four threads
// to split evenly, each slice a partial product of a few KiB.
static constexpr int64_t kDepthSlices = 8;

bool LinalgBuilder::isFewRowProduct(Value lhs, Value rhs, bool transposeLhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  return !transposeLhs && lhsType.hasStaticShape() && rhsType.hasStaticShape() &&
         lhsType.getDimSize(0) <= kFewRows;
}

// A 1-D read of kLanes floats of `source` at (row, column); a read past the
// end of the row is padded with zeros.
static Value readLanes(OpBuilder &b, Location loc, Value source, Value row,
                       Value column, bool inBounds) {
  Type element = getElementTypeOrSelf(source.getType());
  auto type = VectorType::get({kLanes}, element);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(element, 0.0));
  return vector::TransferReadOp::create(b, loc, type, source,
                                        ValueRange{row, column}, zero,
                                        ArrayRef<bool>{inBounds});
}

// x·Wᵀ with W [N, K] (GPT-2's tied lm_head, Llama's [out, in] weights):
// each output is the dot product of a row of x and a row of W, both
// contiguous along k. Threads split W's rows; each row is read once, for
// all of x's rows.
static Value dotProducts(LinalgBuilder &l, Value x, Value w) {
  OpBuilder &b = l.b;
  Location loc = l.loc;
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rows = xType.getDimSize(0), depth = xType.getDimSize(1);
  int64_t columns = cast<RankedTensorType>(w.getType()).getDimSize(0);
  auto vecType = VectorType::get({kLanes}, l.element);

  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(columns)},
      ValueRange{l.empty(l.floatTensor({rows, columns}))}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value column = forall.getInductionVar(0);

  // acc[r] += x[r, k : k+64] * w[column, k : k+64].
  auto step = [&](OpBuilder &nb, Location nl, Value k, ValueRange acc,
                  bool inBounds) {
    Value wLanes = readLanes(nb, nl, w, column, k, inBounds);
    SmallVector<Value> next;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = arith::ConstantIndexOp::create(nb, nl, r);
      Value xLanes = readLanes(nb, nl, x, row, k, inBounds);
      next.push_back(vector::FMAOp::create(nb, nl, xLanes, wLanes, acc[r]));
    }
    return next;
  };
  Value zeroVec = l.splat(vecType, 0.0);
  SmallVector<Value> acc(rows, zeroVec);
  int64_t whole = depth - depth % kLanes;
  if (whole > 0) {
    auto loop = scf::ForOp::create(
        b, loc, l.index(0), l.index(whole), l.index(kLanes), acc,
        [&](OpBuilder &nb, Location nl, Value k, ValueRange iterAcc) {
          scf::YieldOp::create(nb, nl, step(nb, nl, k, iterAcc, true));
        });
    acc.assign(loop.getResults().begin(), loop.getResults().end());
  }
  if (whole < depth)
    acc = step(b, loc, l.index(whole), acc, false);

  // Each row's lanes combine as a tree (reassociation allowed), not in a
  // chain of 64 dependent adds; the column goes into a slice of the shared
  // output, in place.
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), column};
  SmallVector<OpFoldResult> sizes = l.indexAttrs({rows, 1});
  SmallVector<OpFoldResult> strides = l.indexAttrs({1, 1});
  Value shared = forall.getRegionIterArgs()[0];
  Value slice = tensor::ExtractSliceOp::create(b, loc, l.floatTensor({rows, 1}),
                                               shared, offsets, sizes, strides);
  for (int64_t r = 0; r < rows; ++r) {
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                            acc[r], arith::FastMathFlags::reassoc);
    slice = tensor::InsertOp::create(b, loc, sum, slice,
                                     ValueRange{l.index(r), l.index(0)});
  }
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, slice, shared, offsets, sizes,
                                        strides);
  return forall.getResult(0);
}

// x·W with W [K, N] (GPT-2's [in, out] weights): threads split k into
// slices, and each sweeps its rows of W whole and in order, adding
// x[r, k]·W[k, :] into a partial product that stays in L1; the partials are
// summed after.
static Value rowSweeps(LinalgBuilder &l, Value x, Value w) {
  OpBuilder &b = l.b;
  Location loc = l.loc;
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rows = xType.getDimSize(0), depth = xType.getDimSize(1);
  int64_t columns = cast<RankedTensorType>(w.getType()).getDimSize(1);
  int64_t sliceDepth = llvm::divideCeil(depth, std::min(kDepthSlices, depth));
  int64_t slices = llvm::divideCeil(depth, sliceDepth);
  RankedTensorType partialType = l.floatTensor({slices, rows, columns});
  RankedTensorType resultType = l.floatTensor({rows, columns});

  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(slices)},
      ValueRange{l.filled(partialType, 0.0)}, std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value s = forall.getInductionVar(0);
    SmallVector<OpFoldResult> offsets = {s, b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = l.indexAttrs({1, rows, columns});
    SmallVector<OpFoldResult> strides = l.indexAttrs({1, 1, 1});
    Value shared = forall.getRegionIterArgs()[0];
    Value partial = tensor::ExtractSliceOp::create(b, loc, resultType, shared,
                                                   offsets, sizes, strides);
    Value begin = arith::MulIOp::create(b, loc, s, l.index(sliceDepth));
    Value end = arith::MinSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, begin, l.index(sliceDepth)),
        l.index(depth));
    auto overK = scf::ForOp::create(
        b, loc, begin, end, l.index(1), ValueRange{partial},
        [&](OpBuilder &kb, Location kl, Value k, ValueRange kAcc) {
          auto vecType = VectorType::get({kLanes}, l.element);
          SmallVector<Value> xk;
          for (int64_t r = 0; r < rows; ++r) {
            Value row = arith::ConstantIndexOp::create(kb, kl, r);
            Value element = tensor::ExtractOp::create(kb, kl, x, ValueRange{row, k});
            xk.push_back(vector::BroadcastOp::create(kb, kl, vecType, element));
          }
          // acc[r, n : n+64] += x[r, k] * W[k, n : n+64].
          auto step = [&](OpBuilder &nb, Location nl, Value n, Value acc,
                          bool inBounds) {
            Value wLanes = readLanes(nb, nl, w, k, n, inBounds);
            for (int64_t r = 0; r < rows; ++r) {
              Value row = arith::ConstantIndexOp::create(nb, nl, r);
              Value sum = vector::FMAOp::create(
                  nb, nl, xk[r], wLanes, readLanes(nb, nl, acc, row, n, inBounds));
              acc = vector::TransferWriteOp::create(nb, nl, sum, acc,
                                                    ValueRange{row, n},
                                                    ArrayRef<bool>{inBounds})
                        .getResult();
            }
            return acc;
          };
          Value acc = kAcc[0];
          int64_t whole = columns - columns % kLanes;
          if (whole > 0)
            acc = scf::ForOp::create(
                      kb, kl, arith::ConstantIndexOp::create(kb, kl, 0),
                      arith::ConstantIndexOp::create(kb, kl, whole),
                      arith::ConstantIndexOp::create(kb, kl, kLanes),
                      ValueRange{acc},
                      [&](OpBuilder &nb, Location nl, Value n, ValueRange nAcc) {
                        scf::YieldOp::create(nb, nl,
                                             step(nb, nl, n, nAcc[0], true));
                      })
                      .getResult(0);
          if (whole < columns)
            acc = step(kb, kl, arith::ConstantIndexOp::create(kb, kl, whole), acc,
                       false);
          scf::YieldOp::create(kb, kl, acc);
        });
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, overK.getResult(0), shared,
                                          offsets, sizes, strides);
  }
  return l.generic(3, 1, {forall.getResult(0)}, {l.filled(resultType, 0.0)},
                   LinalgBuilder::sumBody)
      .getResult(0);
}

Value LinalgBuilder::fewRowProduct(Value lhs, Value rhs, bool transposeRhs) {
  return transposeRhs ? dotProducts(*this, lhs, rhs) : rowSweeps(*this, lhs, rhs);
}
