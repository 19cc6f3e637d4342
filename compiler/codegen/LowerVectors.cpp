//===- LowerVectors.cpp - Vector ops to what LLVM turns into FMAs ---------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Conversion/VectorToAMX/VectorToAMX.h"
#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMLOWERVECTORSPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

namespace {
// A transfer of one element as a vector of unit dimensions (vector<1x1xf32>,
// from a peeled remainder or a one-column tile) becomes a scalar load or
// store. Besides being what it is, this keeps such transfers from MLIR 22's
// flattening patterns: their vector::isContiguousSlice drops the unit
// dimensions and then compares the shapes' remaining trailing dimensions,
// an empty list minus one -- a memcmp of (size_t)-8 bytes
// (AddressSanitizer: negative-size-param; later MLIR returns early there).
bool isOneElementOfMemRef(VectorTransferOpInterface transfer) {
  VectorType vector = transfer.getVectorType();
  return vector.getRank() >= 2 && vector.getNumElements() == 1 &&
         !vector.isScalable() && isa<MemRefType>(transfer.getBase().getType()) &&
         !transfer.getMask() &&
         llvm::all_of(transfer.getInBoundsValues(), [](bool in) { return in; });
}

struct OneElementTransferRead : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    if (!isOneElementOfMemRef(read))
      return failure();
    Value element = memref::LoadOp::create(rewriter, read.getLoc(), read.getBase(),
                                           read.getIndices());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(read, read.getVectorType(),
                                                     element);
    return success();
  }
};

struct OneElementTransferWrite : OpRewritePattern<vector::TransferWriteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferWriteOp write,
                                PatternRewriter &rewriter) const override {
    if (!isOneElementOfMemRef(write))
      return failure();
    SmallVector<int64_t> origin(write.getVectorType().getRank(), 0);
    Value element = vector::ExtractOp::create(rewriter, write.getLoc(),
                                              write.getVector(), origin);
    rewriter.replaceOpWithNewOp<memref::StoreOp>(write, element, write.getBase(),
                                                 write.getIndices());
    return success();
  }
};

struct LoomLowerVectorsPass
    : public ::loomc::impl::LoomLowerVectorsPassBase<LoomLowerVectorsPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    func::FuncOp function = getOperation();

    // 0. With AMX, a bf16 product's register tile -- [16, 16 pairs] by
    //    [16 pairs, 16] into 16 x 16 f32, all three read from buffers (the
    //    accumulator is not hoisted out of the k loop for it) -- becomes
    //    tile loads, one tile product and a store of the accumulator tile
    //    (MLIR's vector-to-amx patterns). What they do not take is left to
    //    the dot products and FMAs below.
    //    Only whole tiles: partial ones (a peeled remainder) would give a
    //    function tiles of several shapes, on which LLVM 22's tile register
    //    allocation fails ("ran out of registers").
    if (amxTiles) {
      SmallVector<Operation *> wholeTiles;
      auto bf16Tile = VectorType::get({16, 16, 2}, BFloat16Type::get(ctx));
      auto accTile = VectorType::get({16, 16}, Float32Type::get(ctx));
      function.walk([&](vector::ContractionOp contract) {
        if (contract.getLhsType() == bf16Tile && contract.getRhsType() == bf16Tile &&
            contract.getAccType() == accTile)
          wholeTiles.push_back(contract);
      });
      RewritePatternSet patterns(ctx);
      populateVectorToAMXConversionPatterns(patterns);
      GreedyRewriteConfig config;
      config.setStrictness(GreedyRewriteStrictness::ExistingOps);
      if (failed(applyOpPatternsGreedily(wholeTiles, std::move(patterns), config)))
        return signalPassFailure();
    }

    // 1. Contractions (a register tile's k step) become outer products, then
    //    one FMA per accumulator row; a bf16 tile's k pair becomes dot
    //    products.
    {
      RewritePatternSet patterns(ctx);
      loomc::codegen::populateBf16DotProductPatterns(patterns);
      // Before the flattening patterns see them (a higher benefit).
      patterns.add<OneElementTransferRead, OneElementTransferWrite>(ctx, /*benefit=*/2);
      // A product over pairs reads its right tile as [1, N, 2] bf16, N
      // pairs side by side in memory: one 1-D read, not N reads of one
      // pair. (Only transfers whose last dimension is narrower than 64
      // bits: an f32 tile's last dimension is a vector, or a single
      // element of a column, which is not contiguous.)
      vector::populateFlattenVectorTransferPatterns(patterns,
                                                    /*targetVectorBitwidth=*/64);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerParallel);
      if (failed(applyPatternsGreedily(function, std::move(patterns))))
        return signalPassFailure();
    }
    // 2. Everything left to 1-D vectors: outer products, transfers,
    //    broadcasts, transposes and shape casts.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferLoweringPatterns(patterns,
                                                     /*maxTransferRank=*/1);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      if (failed(applyPatternsGreedily(function, std::move(patterns))))
        return signalPassFailure();
    }
    // 3. tanh, exp, log and erf as polynomials, which vectorize; libm
    //    calls would not (and the llvm dialect has no erf at all).
    {
      RewritePatternSet patterns(ctx);
      populateMathPolynomialApproximationPatterns(
          patterns, [](StringRef name) {
            return name == "math.tanh" || name == "math.exp" ||
                   name == "math.log" || name == "math.erf";
          });
      if (failed(applyPatternsGreedily(function, std::move(patterns))))
        return signalPassFailure();
    }
  }
};
} // namespace
