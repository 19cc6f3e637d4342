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
