//===- LoomDialect.cpp - The loom dialect ---------------------------------===//

#include "dialects/loom/IR/LoomDialect.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

#include "dialects/loom/IR/LoomDialect.cpp.inc"
#include "dialects/loom/IR/LoomEnums.cpp.inc"
#include "dialects/loom/IR/LoomInterfaces.cpp.inc"

// custom<Activation>: the activation as a bare keyword, `gelu`.
static ParseResult parseActivation(OpAsmParser &parser,
                                   ActivationAttr &activation) {
  llvm::SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<Activation> value = symbolizeActivation(keyword);
  if (!value)
    return parser.emitError(loc, "expected an activation (none, gelu, "
                                 "gelu_erf, relu, tanh or silu), got '")
           << keyword << "'";
  activation = ActivationAttr::get(parser.getContext(), *value);
  return success();
}

static void printActivation(OpAsmPrinter &printer, Operation *,
                            ActivationAttr activation) {
  printer << stringifyActivation(activation.getValue());
}

#define GET_OP_CLASSES
#include "dialects/loom/IR/LoomOps.cpp.inc"

void LoomDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/loom/IR/LoomOps.cpp.inc"
      >();
  registerAttributes();
}

bool mlir::loom::activationGradNeedsInput(Activation activation) {
  return activation == Activation::gelu || activation == Activation::gelu_erf ||
         activation == Activation::silu;
}
