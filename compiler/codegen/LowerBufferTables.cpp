//===- LowerBufferTables.cpp - loom.table_buffer as a load of a pointer ---===//
//
// The buffer a loop over the layers picks from the runtime's table: the
// table's pointer, wrapped in the descriptor of its static shape (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMLOWERBUFFERTABLESPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;
namespace ops = mlir::loom;

namespace {
struct LoomLowerBufferTablesPass
    : public ::loomc::impl::LoomLowerBufferTablesPassBase<LoomLowerBufferTablesPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    LLVMTypeConverter converter(context);
    auto pointer = LLVM::LLVMPointerType::get(context);
    SmallVector<ops::TableBufferOp> buffers;
    getOperation().walk([&](ops::TableBufferOp op) { buffers.push_back(op); });
    for (ops::TableBufferOp op : buffers) {
      OpBuilder builder(op);
      Location loc = op.getLoc();
      Value index = arith::IndexCastOp::create(builder, loc, builder.getI64Type(),
                                               op.getIndex());
      Value slot = LLVM::GEPOp::create(builder, loc, pointer, pointer,
                                       op.getTable(), ValueRange{index});
      Value data = LLVM::LoadOp::create(builder, loc, pointer, slot);
      MemRefType type = op.getBuffer().getType();
      Value descriptor =
          MemRefDescriptor::fromStaticShape(builder, loc, converter, type, data);
      op.replaceAllUsesWith(UnrealizedConversionCastOp::create(
                                builder, loc, TypeRange{type}, descriptor)
                                .getResult(0));
      op.erase();
    }
  }
};
} // namespace
