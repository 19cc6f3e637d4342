//===- TilingPolicy.h - Block and tile sizes for a loop nest ----*- C++ -*-===//
//
// The rules that choose thread blocks, register tiles and k blocks, apart
// from the tiling that applies them (TileAndVectorize.cpp): a pure function
// of loop ranges and the target's registers, unit-tested on its own
// (test/compiler/codegen/TilingPolicyTest.cpp), and the one place later
// per-host tuning changes.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_TILINGPOLICY_H
#define LOOM_COMPILER_CODEGEN_TILINGPOLICY_H

#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <limits>

namespace loomc::codegen {

// A loop range not known at compile time (mlir::ShapedType::kDynamic).
inline constexpr int64_t kDynamicRange = std::numeric_limits<int64_t>::min();

// The registers a tile is shaped for.
struct TileTarget {
  int64_t vectorWidth = 16;    // f32 lanes of a vector register
  int64_t registerRows = 8;    // rows of a product's register tile
  int64_t registerVectors = 2; // vectors per row of it
  // bf16 products over pairs run on AMX tiles: 16 x 16 f32 accumulators,
  // 16 pairs of k per tile product.
  bool amxTiles = false;
};

// What the policy is told about a loop nest to tile.
struct LoopNest {
  enum class Kind {
    product,   // a matrix product (m, n, k), or the epilogue of one (m, n)
    transpose, // a 2-D transpose: a packed copy of an operand
    other,     // elementwise ops and reductions
  };
  Kind kind = Kind::other;
  llvm::SmallVector<int64_t> ranges;
  // Per loop: parallel (true) or a reduction.
  llvm::SmallVector<bool> parallel;
  // For a product or its epilogue: the product's (m, n, k), when known.
  llvm::SmallVector<int64_t> productRanges;
  // A plain product whose right operand is a packed copy, which each
  // thread block packs for itself.
  bool readsPackedOperand = false;
  // A product of bf16 operands, whose register tiles step k in pairs: one
  // dot-product instruction (vdpbf16ps) multiplies a pair per lane.
  bool pairedReduction = false;
};

// Tile sizes per loop of a nest; 0 leaves a loop untiled.
struct TilePlan {
  llvm::SmallVector<int64_t> threadTiles;
  llvm::SmallVector<int64_t> registerTiles;
  // Step of a product tile's reduction loop (its k), 0 for other nests.
  int64_t matmulReductionStep = 0;
  // The k extent a product's thread block works on at a time (its slices
  // of both operands stay in cache); 0 for all of k.
  int64_t matmulReductionBlock = 0;
};

TilePlan planTiles(const LoopNest &nest, const TileTarget &target);

// The rows and columns of a plain product's full thread blocks: a product
// whose extents are not whole multiples of them is split into a part that
// is and a remainder.
inline constexpr int64_t kWholeBlockRows = 64;
inline constexpr int64_t kWholeBlockColumns = 256;

// The largest divisor of `size` not above `limit`, preferring multiples of
// `multiple`; `size` itself when it fits.
int64_t divisorTile(int64_t size, int64_t limit, int64_t multiple = 1);

// A register tile along a loop of `size`: `target`, or `size` itself when
// the loop is no longer; a tile that does not divide is peeled later.
int64_t registerTile(int64_t size, int64_t target);

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_TILINGPOLICY_H
