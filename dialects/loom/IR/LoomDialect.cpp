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
  activationOps.resize(getMaxEnumValForActivation() + 1);
  for (RegisteredOperationName name : getContext()->getRegisteredOperations())
    if (auto *op = name.getInterface<ActivationOpInterface>();
        op && &name.getDialect() == this)
      activationOps[static_cast<uint32_t>(op->getKind())] = name;
}

std::optional<RegisteredOperationName>
mlir::loom::activationOpName(MLIRContext *context, Activation activation) {
  return context->getLoadedDialect<LoomDialect>()
      ->activationOps[static_cast<uint32_t>(activation)];
}

std::string
mlir::loom::activationsWhoseGradientReadsInput(MLIRContext *context) {
  SmallVector<std::string> names;
  for (uint32_t i = 0; i <= getMaxEnumValForActivation(); ++i)
    if (std::optional<Activation> kind = symbolizeActivation(i);
        kind && activationGradNeedsInput(context, *kind))
      names.push_back(stringifyActivation(*kind).str());
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return text;
}

bool mlir::loom::activationGradNeedsInput(MLIRContext *context,
                                          Activation activation) {
  std::optional<RegisteredOperationName> name =
      activationOpName(context, activation);
  return name &&
         name->getInterface<ActivationOpInterface>()->gradientReadsInput();
}
