//===- ExpandStridedCopies.cpp - Strided memref.copy to linalg.copy -------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMEXPANDSTRIDEDCOPIESPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

namespace {
bool lowersToMemcpy(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref::isStaticShapeAndContiguousRowMajor(memref);
}

struct LoomExpandStridedCopiesPass
    : public ::loomc::impl::LoomExpandStridedCopiesPassBase<LoomExpandStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!lowersToMemcpy(copy.getSource().getType()) ||
          !lowersToMemcpy(copy.getTarget().getType()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
