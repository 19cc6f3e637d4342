//===- HoistStackBuffers.cpp - Stack buffers allocated once per thread ----===//
//
// A memref.alloca inside a loop allocates again at every iteration: LLVM
// only treats an alloca in a function's entry block as a fixed slot, and
// releases none before the function returns. MLIR's vector-to-amx patterns
// pass a vector accumulator to and from its AMX tile through such stack
// buffers, inside the register tiles' loops; left there, a product's loops
// would grow the stack by 2 KB per tile. Each statically shaped alloca is
// moved to the entry block of the region it belongs to: the omp.parallel
// region around it (so every thread still has its own) or the function.
// The buffers are scratch, written and read within one iteration, so one
// per thread serves every iteration. Allocas in a memref.alloca_scope are
// released by it and stay.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMHOISTSTACKBUFFERSPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

namespace {
struct LoomHoistStackBuffersPass
    : public ::loomc::impl::LoomHoistStackBuffersPassBase<LoomHoistStackBuffersPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    SmallVector<memref::AllocaOp> allocas;
    function.walk([&](memref::AllocaOp alloca) {
      if (alloca->getNumOperands() == 0 && !alloca->getParentOfType<memref::AllocaScopeOp>())
        allocas.push_back(alloca);
    });
    for (memref::AllocaOp alloca : allocas) {
      Region *home = &function.getBody();
      if (auto parallel = alloca->getParentOfType<omp::ParallelOp>())
        home = &parallel.getRegion();
      Block &entry = home->front();
      if (alloca->getBlock() != &entry)
        alloca->moveBefore(&entry, entry.begin());
    }
  }
};
} // namespace
