//===- RuntimeOps.cpp - gradient_ready: its verifier ----------------------===//

#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"

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
