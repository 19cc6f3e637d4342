//===- ApplyTuning.cpp - Put measured tilings on a module's products ------===//
//
// Each product whose shape the tuning table has gets that tiling as its
// loom.tiling attribute, for -loom-tile-and-vectorize; the others keep the
// tiling policy's rules.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "compiler/codegen/TuningTable.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMAPPLYTUNINGPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

namespace {
struct LoomApplyTuningPass
    : public ::loomc::impl::LoomApplyTuningPassBase<LoomApplyTuningPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    loomc::codegen::TuningTable table;
    std::string error;
    if (!loomc::codegen::readTuningTable(file, table, error)) {
      module.emitError() << "-loom-apply-tuning: " << error;
      return signalPassFailure();
    }
    loomc::codegen::forEachTunableProduct(module, [&](Operation *product) {
      std::optional<std::string> key = loomc::codegen::productKey(product);
      auto found = key ? table.products.find(*key) : table.products.end();
      if (found == table.products.end())
        return;
      loomc::codegen::setChosenTiling(product, found->second.tiling);
    });
  }
};
} // namespace
