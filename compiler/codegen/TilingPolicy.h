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
#include "llvm/ADT/StringRef.h"
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace loomc::codegen {

// A loop range not known at compile time (mlir::ShapedType::kDynamic).
inline constexpr int64_t kDynamicRange = std::numeric_limits<int64_t>::min();

// The registers and caches a tile is shaped for.
struct TileTarget {
  int64_t vectorWidth = 16;    // f32 lanes of a vector register
  int64_t registerRows = 8;    // rows of a product's register tile
  int64_t registerVectors = 2; // vectors per row of it
  // bf16 products over pairs run on AMX tiles: 16 x 16 f32 accumulators,
  // 16 pairs of k per tile product.
  bool amxTiles = false;
  // The k extent of a long product's blocks (its slice of the right
  // operand stays in L2).
  int64_t reductionBlock = 256;
  // The threads that share a product's blocks (the host's cores).
  int64_t threads = 1;
};

// What the tiling rules read of a CPU (HostCpu.h reads the host's).
struct CpuDescription {
  int64_t vectorWidth = 16;     // f32 lanes of its widest vectors
  int64_t vectorRegisters = 32; // of that width
  // Vector FMAs of that width issued per cycle and core, and their latency
  // in cycles.
  int64_t fmaPorts = 1;
  int64_t fmaLatency = 4;
  // Data cache bytes per core (L3: in all).
  int64_t l1Bytes = 32 << 10, l2Bytes = 1 << 20, l3Bytes = 32 << 20;
  bool amxTiles = false;
  int64_t cores = 1;
};

// The register tile and k block for `cpu` (the rules are in
// TilingPolicy.cpp, with the measurements that chose them).
TileTarget tileTargetFor(const CpuDescription &cpu);

// A product's tiling chosen for its shape (loomc --tune measures it; the
// loom.tiling attribute carries it): planTiles applies it instead of the
// target's rules. Columns count f32 lanes; a 0 reduction block walks k
// whole.
struct ProductTiling {
  int64_t blockRows = 0, blockColumns = 0;
  int64_t registerRows = 0, registerColumns = 0;
  int64_t reductionBlock = 0;
  // The five sizes in the order of the attribute and the tuning table.
  std::array<int64_t, 5> sizes() const {
    return {blockRows, blockColumns, registerRows, registerColumns, reductionBlock};
  }
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
  // The tiling chosen for this product's shape, if any (not for AMX tiles,
  // whose shape is the hardware's).
  std::optional<ProductTiling> chosen;
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

// Why `values` (the loom.tiling attribute's: block rows, block columns,
// register rows, register columns, reduction block) are not a tiling, or
// empty when they are one; `tiling` receives it. Register columns are
// checked against `vectorWidth` lanes unless it is 0 (not known yet).
std::string parseTiling(llvm::ArrayRef<int64_t> values, int64_t vectorWidth,
                        ProductTiling &tiling);

// The sizes a product's plan has, as a tiling that reproduces it (the
// starting point of loomc --tune's candidates).
ProductTiling tilingOf(const LoopNest &nest, const TilePlan &plan);

// The rows and columns of a plain product's full thread blocks: a product
// whose extents are not whole multiples of them is split into a part that
// is and a remainder.
inline constexpr int64_t kWholeBlockRows = 64;
inline constexpr int64_t kWholeBlockColumns = 256;

// The rows and columns a plain product of `nest` is split at into whole
// thread blocks and a remainder: its chosen tiling's blocks, or the rules'.
inline std::pair<int64_t, int64_t> wholeBlocksOf(const LoopNest &nest) {
  if (nest.chosen)
    return {nest.chosen->blockRows, nest.chosen->blockColumns};
  return {kWholeBlockRows, kWholeBlockColumns};
}

// The largest divisor of `size` not above `limit`, preferring multiples of
// `multiple`; `size` itself when it fits.
int64_t divisorTile(int64_t size, int64_t limit, int64_t multiple = 1);

// A register tile along a loop of `size`: `target`, or `size` itself when
// the loop is no longer; a tile that does not divide is peeled later.
int64_t registerTile(int64_t size, int64_t target);

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_TILINGPOLICY_H
