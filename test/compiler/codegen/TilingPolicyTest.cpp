//===- TilingPolicyTest.cpp - Unit tests of the tiling policy's rules -----===//
//
// Each test is one rule of TilingPolicy.cpp at a shape the GPT-2 configs
// have (mini: 1024 rows, dim 256; gpt2s: 256 rows, dim 768), with the sizes
// worked out by hand from the rule.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/TilingPolicy.h"
#include <gtest/gtest.h>

using namespace loomc::codegen;

namespace {

using Sizes = llvm::SmallVector<int64_t>;

const TileTarget kAvx512;        // 16 lanes, 8 x 2 vectors
const TileTarget kAvx2{8, 8, 2}; // 8 lanes

// x·W with x [m, k] and W [k, n], as a plain product's loop nest.
LoopNest productNest(int64_t m, int64_t n, int64_t k) {
  LoopNest nest;
  nest.kind = LoopNest::Kind::product;
  nest.ranges = {m, n, k};
  nest.parallel = {true, true, false};
  nest.productRanges = {m, n, k};
  return nest;
}

TEST(TilingPolicy, SmallProductsGetBlocksOf64Rows) {
  // mini's c_proj, 1024 x 256 x 256: 2^26 multiply-adds exactly, "large".
  TilePlan large = planTiles(productNest(1024, 256, 256), kAvx512);
  EXPECT_EQ(large.threadTiles, (Sizes{128, 256, 0}));
  // Half of it is below 2^26: 64-row blocks.
  TilePlan small = planTiles(productNest(512, 256, 256), kAvx512);
  EXPECT_EQ(small.threadTiles, (Sizes{64, 256, 0}));
  EXPECT_EQ(small.registerTiles, (Sizes{8, 32, 0}));
  EXPECT_EQ(small.matmulReductionStep, 1);
  EXPECT_EQ(small.matmulReductionBlock, 0); // k = 256 is walked whole
}

TEST(TilingPolicy, LargeProductsAreCutIntoAtLeastEightBlocks) {
  // gpt2s's attn.c_proj, 256 x 768 x 768: 128 x 256 blocks would be 2 x 3 =
  // 6; narrower columns (128) make 2 x 6 = 12.
  TilePlan plan = planTiles(productNest(256, 768, 768), kAvx512);
  EXPECT_EQ(plan.threadTiles, (Sizes{128, 128, 0}));
  EXPECT_EQ(plan.registerTiles, (Sizes{8, 32, 0}));
  // gpt2s's c_attn, 256 x 2304: 2 x 9 blocks already.
  EXPECT_EQ(planTiles(productNest(256, 2304, 768), kAvx512).threadTiles,
            (Sizes{128, 256, 0}));
  // 64 x 768 x 2048 (2^26 · 1.5): one row block; columns halve from 256
  // to 128 (6 blocks), then 64 (12).
  EXPECT_EQ(planTiles(productNest(64, 768, 2048), kAvx512).threadTiles,
            (Sizes{64, 64, 0}));
}

TEST(TilingPolicy, SmallProductsGetABlockPerThread) {
  // The quick-start model's x·Wᵀ, 256 x 128 x 128, reading a packed W: one
  // block of 256 x 128 on one thread; with 2 threads its columns halve.
  LoopNest nest = productNest(256, 128, 128);
  nest.readsPackedOperand = true;
  EXPECT_EQ(planTiles(nest, kAvx512).threadTiles, (Sizes{256, 128, 0}));
  TileTarget twoThreads;
  twoThreads.threads = 2;
  EXPECT_EQ(planTiles(nest, twoThreads).threadTiles, (Sizes{256, 64, 0}));
  // 64 x 32 x 512 (one register tile of columns): the rows halve instead.
  EXPECT_EQ(planTiles(productNest(64, 32, 512), twoThreads).threadTiles,
            (Sizes{32, 32, 0}));
  // Below 2^20 multiply-adds, one block: starting threads costs more.
  EXPECT_EQ(planTiles(productNest(64, 32, 128), twoThreads).threadTiles,
            (Sizes{64, 32, 0}));
  // Large products want kMinBlocks, or a block per thread if there are more
  // threads: 16 threads cut gpt2s's c_attn (2 x 9 blocks) no further, and
  // its c_proj (12 blocks) into 2 x 12.
  TileTarget sixteen;
  sixteen.threads = 16;
  EXPECT_EQ(planTiles(productNest(256, 2304, 768), sixteen).threadTiles,
            (Sizes{128, 256, 0}));
  EXPECT_EQ(planTiles(productNest(256, 768, 768), sixteen).threadTiles,
            (Sizes{128, 64, 0}));
}

TEST(TilingPolicy, LongProductsWalkKInBlocksOf256) {
  // gpt2s's mlp.c_proj contracts over 3072: k blocks of 256.
  EXPECT_EQ(
      planTiles(productNest(256, 768, 3072), kAvx512).matmulReductionBlock,
      256);
  // 512 is walked whole; 513 in blocks.
  EXPECT_EQ(planTiles(productNest(256, 768, 512), kAvx512).matmulReductionBlock,
            0);
  EXPECT_EQ(planTiles(productNest(256, 768, 513), kAvx512).matmulReductionBlock,
            256);
}

TEST(TilingPolicy, ProductsReadingAPackedOperandGetTallBlocks) {
  // x·Wᵀ: each block packs its slice of W, so blocks are 256 rows tall.
  LoopNest nest = productNest(1024, 768, 256);
  nest.readsPackedOperand = true;
  EXPECT_EQ(planTiles(nest, kAvx512).threadTiles[0], 256);
}

TEST(TilingPolicy, AnEpilogueTilesLikeItsProduct) {
  // A fused bias + GELU over the product's [m, n], blocked like the
  // product (1024 x 768 x 256 is large) and stepping k for the product.
  LoopNest nest;
  nest.kind = LoopNest::Kind::product;
  nest.ranges = {1024, 768};
  nest.parallel = {true, true};
  nest.productRanges = {1024, 768, 256};
  TilePlan plan = planTiles(nest, kAvx512);
  EXPECT_EQ(plan.threadTiles, (Sizes{128, 256}));
  EXPECT_EQ(plan.registerTiles, (Sizes{8, 32}));
  EXPECT_EQ(plan.matmulReductionStep, 1);
}

TEST(TilingPolicy, RegisterTilesFollowTheVectorWidth) {
  // AVX2: 8 x (2 · 8) register tiles, columns in multiples of 8.
  TilePlan plan = planTiles(productNest(512, 256, 256), kAvx2);
  EXPECT_EQ(plan.registerTiles, (Sizes{8, 16, 0}));
  // A product narrower than a register tile gets one as wide as itself.
  EXPECT_EQ(planTiles(productNest(6, 10, 4), kAvx512).registerTiles,
            (Sizes{6, 10, 0}));
}

TEST(TilingPolicy, TransposesGoInSquareTilesOfOneVector) {
  LoopNest nest;
  nest.kind = LoopNest::Kind::transpose;
  nest.ranges = {768, 2304};
  nest.parallel = {true, true};
  TilePlan plan = planTiles(nest, kAvx512);
  EXPECT_EQ(plan.registerTiles, (Sizes{16, 16}));
  // An eighth of the rows per thread block, a whole number of tiles.
  EXPECT_EQ(plan.threadTiles, (Sizes{96, 0}));
}

TEST(TilingPolicy, ElementwiseNestsSplitTheirOuterLoop) {
  // GELU over [1024, 768]: 64-lane register tiles along the rows' inner
  // loop, one row at a time, an eighth of the rows per thread block.
  LoopNest nest;
  nest.ranges = {1024, 768};
  nest.parallel = {true, true};
  TilePlan plan = planTiles(nest, kAvx512);
  EXPECT_EQ(plan.registerTiles, (Sizes{1, 64}));
  EXPECT_EQ(plan.threadTiles, (Sizes{128, 0}));
}

TEST(TilingPolicy, ReductionsOverRowsSplitTheirColumns) {
  // A bias gradient Σ_rows dz over [1024 rows (reduced), 768]: threads take
  // blocks of columns, whole register tiles of 64, at most an eighth.
  LoopNest nest;
  nest.ranges = {1024, 768};
  nest.parallel = {false, true};
  TilePlan plan = planTiles(nest, kAvx512);
  EXPECT_EQ(plan.registerTiles, (Sizes{1, 64}));
  EXPECT_EQ(plan.threadTiles, (Sizes{0, 64}));
}

TEST(TilingPolicy, RunTimeLengthsGoInBlocksOf16384) {
  // AdamW over a ZeRO-1 shard of a parameter, of a length known at run
  // time: thread blocks of 16384 elements, 64-lane register tiles (peeled
  // to whole ones later).
  LoopNest nest;
  nest.ranges = {kDynamicRange};
  nest.parallel = {true};
  TilePlan plan = planTiles(nest, kAvx512);
  EXPECT_EQ(plan.registerTiles, (Sizes{64}));
  EXPECT_EQ(plan.threadTiles, (Sizes{16384}));
  // The norm's sum of squares over the same range is a reduction: one
  // thread walks it.
  nest.parallel = {false};
  plan = planTiles(nest, kAvx512);
  EXPECT_EQ(plan.threadTiles, (Sizes{0}));
}

TEST(TilingPolicy, DivisorsPreferMultiples) {
  EXPECT_EQ(divisorTile(256, 64, 8), 64);
  EXPECT_EQ(divisorTile(48, 64, 8), 48);  // fits whole
  EXPECT_EQ(divisorTile(100, 64, 8), 50); // no multiple of 8 divides: 50
  EXPECT_EQ(divisorTile(97, 64, 8), 1);   // a prime
  EXPECT_EQ(registerTile(5, 8), 5);
  EXPECT_EQ(registerTile(kDynamicRange, 8), 8);
}

} // namespace
