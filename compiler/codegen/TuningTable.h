//===- TuningTable.h - Tilings measured per product shape -------*- C++ -*-===//
//
// What `loomc --tune` measured on a CPU: for each matrix product shape, the
// fastest tiling of the candidates it timed. The table is a JSON file
// (docs/tuning.md), one per CPU model and feature set in the user's cache
// directory, or one the user names (--tuning FILE);
// -loom-apply-tuning puts its tilings on the products of a module.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_TUNINGTABLE_H
#define LOOM_COMPILER_CODEGEN_TUNINGTABLE_H

#include "compiler/codegen/TilingPolicy.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringRef.h"
#include <map>
#include <optional>
#include <string>

namespace loomc::codegen {

// A product's shape as the table names it: its operands' element type,
// m x n x k, and which operands it reads transposed, as in
// "f32 256x768x3072 A.B^T" (A^T.B: a weight's gradient).
std::optional<std::string> productKey(mlir::Operation *product);

// The products whose tiling the tiling pass decides: those at the top of a
// function's body (attention's, inside its own thread blocks, are not).
void forEachTunableProduct(mlir::Operation *module,
                           llvm::function_ref<void(mlir::Operation *)> fn);

// Gives `product` the tiling (its loom.tiling attribute).
void setChosenTiling(mlir::Operation *product, const ProductTiling &tiling);

struct TunedProduct {
  ProductTiling tiling;
  // What the timing measured: the chosen tiling's and the rules' rates.
  double gflops = 0, defaultGflops = 0;
};

struct TuningTable {
  // The CPU it was measured on (its name, family, model, stepping) and its
  // features (LLVM's spelling).
  std::string cpu, features;
  std::map<std::string, TunedProduct> products;
};

// Reads `path`; on failure `error` says why, naming the file and the entry.
bool readTuningTable(llvm::StringRef path, TuningTable &table, std::string &error);
// Writes `table` to `path` whole or not at all (a temporary file renamed
// over it), creating its directory.
bool writeTuningTable(llvm::StringRef path, const TuningTable &table,
                      std::string &error);

// The host's key for a cache file: its name, family, model and stepping,
// and a hash of its features; `cpu` and `features` receive them in full.
std::string hostTuningKey(std::string &cpu, std::string &features);
// The cache file of this host: $XDG_CACHE_HOME/loom/tuning/KEY.json, or
// ~/.cache/loom/tuning/KEY.json; empty when neither is set.
std::string defaultTuningPath();

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_TUNINGTABLE_H
