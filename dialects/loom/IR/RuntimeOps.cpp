//===- RuntimeOps.cpp - gradient_ready, table_buffer: their verifiers -----===//

#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"

using namespace mlir;
using namespace mlir::loom;

//===----------------------------------------------------------------------===//
// loom.gradient_ready — the runtime may reduce this gradient now
//===----------------------------------------------------------------------===//

LogicalResult GradientReadyOp::verify() {
  auto argument = dyn_cast<BlockArgument>(getGradient());
  auto function = getOperation()->getParentOfType<func::FuncOp>();
  if (!argument || !function || argument.getOwner() != &function.front())
    return emitOpError("operand must be an argument of the enclosing "
                       "function, the buffer the runtime passes");
  if (describeArgument(function, argument.getArgNumber()).role !=
      ArgumentRole::grad)
    return emitOpError("operand must be a gradient buffer (an argument "
                       "marked loom.grad), not argument #")
           << argument.getArgNumber();
  return success();
}

unsigned GradientReadyOp::getGradientIndex() {
  auto function = getOperation()->getParentOfType<func::FuncOp>();
  unsigned position = cast<BlockArgument>(getGradient()).getArgNumber();
  unsigned index = 0;
  for (unsigned i = 0; i < position; ++i)
    if (describeArgument(function, i).role == ArgumentRole::grad)
      ++index;
  return index;
}

//===----------------------------------------------------------------------===//
// loom.table_buffer — a buffer of the runtime's table, by index
//===----------------------------------------------------------------------===//

LogicalResult TableBufferOp::verify() {
  if (!isa<LLVM::LLVMPointerType>(getTable().getType()))
    return emitOpError("table must be an !llvm.ptr, not ") << getTable().getType();
  auto argument = dyn_cast<BlockArgument>(getTable());
  auto function = getOperation()->getParentOfType<func::FuncOp>();
  if (!argument || !function || argument.getOwner() != &function.front() ||
      !function.getArgAttr(argument.getArgNumber(), kBufferTableAttr))
    return emitOpError("table must be the enclosing function's argument "
                       "marked loom.buffer_table, which the runtime passes");
  if (!getBuffer().getType().getLayout().isIdentity())
    return emitOpError("the buffer must be dense and row-major (an identity "
                       "layout), as the runtime's buffers are, not ")
           << getBuffer().getType();
  return success();
}
