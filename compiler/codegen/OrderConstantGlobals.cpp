//===- OrderConstantGlobals.cpp - Bufferization's constants in read order -===//
//
// @__constant_T, @__constant_T_0, ... named and placed by the order of the
// module's first read of each, rather than by the order One-Shot Bufferize
// happened to visit the functions in (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMORDERCONSTANTGLOBALSPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

// The name bufferization derives from the type, without the suffix that
// made it unique: "__constant_37x16xf32" for "__constant_37x16xf32_1" (a
// type's text never ends in _DIGITS).
static std::optional<StringRef> constantBaseName(memref::GlobalOp global) {
  StringRef name = global.getSymName();
  if (!global.getConstant() || !name.starts_with("__constant_"))
    return std::nullopt;
  StringRef stem = name.rsplit('_').first, suffix = name.rsplit('_').second;
  if (!suffix.empty() && llvm::all_of(suffix, llvm::isDigit) &&
      stem != "__constant")
    return stem;
  return name;
}

namespace {
struct LoomOrderConstantGlobalsPass
    : public ::loomc::impl::LoomOrderConstantGlobalsPassBase<
          LoomOrderConstantGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // The constants in the order of their first read.
    llvm::MapVector<memref::GlobalOp, StringRef> order;
    module.walk([&](memref::GetGlobalOp read) {
      auto global = symbols.lookup<memref::GlobalOp>(read.getName());
      if (!global || order.contains(global))
        return;
      if (std::optional<StringRef> base = constantBaseName(global))
        order.insert({global, *base});
    });
    if (order.empty())
      return;

    // New names: each base, then base_0, base_1, ... as the symbol table
    // makes them unique, skipping names that other symbols hold. Renamed
    // through temporary names, since the new name of one may be the old
    // name of another.
    auto takenByOther = [&](StringRef name) {
      Operation *holder = symbols.lookup(name);
      auto global = dyn_cast_or_null<memref::GlobalOp>(holder);
      return holder && !(global && order.contains(global));
    };
    llvm::StringMap<int> next;
    SmallVector<std::pair<memref::GlobalOp, std::string>> renames;
    for (auto [global, base] : order) {
      std::string name;
      do {
        int index = next[base]++;
        name = index == 0 ? base.str() : (base + "_" + Twine(index - 1)).str();
      } while (takenByOther(name));
      renames.push_back({global, name});
    }
    for (auto &[global, name] : renames)
      if (failed(symbols.rename(global, "__loom_renaming_" + name)))
        return signalPassFailure();
    for (auto &[global, name] : renames)
      if (failed(symbols.rename(global, name)))
        return signalPassFailure();

    // Placed in that order where the first of them stood.
    Operation *first = nullptr;
    for (Operation &op : module.getBody()->getOperations())
      if (auto global = dyn_cast<memref::GlobalOp>(op);
          global && order.contains(global)) {
        first = &op;
        break;
      }
    Operation *previous = nullptr;
    for (auto [global, base] : order) {
      if (!previous) {
        if (global != first)
          global->moveBefore(first);
      } else {
        global->moveAfter(previous);
      }
      previous = global;
    }
  }
};
} // namespace
