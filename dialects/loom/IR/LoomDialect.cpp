//===- LoomDialect.cpp - The loom dialect ---------------------------------===//

#include "dialects/loom/IR/LoomDialect.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

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

LogicalResult
mlir::OpTrait::loom::detail::verifySameFloatElementType(Operation *op) {
  Type common;
  auto check = [&](Type type, StringRef what, unsigned index) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !isa<FloatType>(tensor.getElementType()))
      return success();
    if (!common) {
      common = tensor.getElementType();
      return success();
    }
    if (tensor.getElementType() == common)
      return success();
    return op->emitOpError() << what << " #" << index << " has element type "
                             << tensor.getElementType() << ", but the op's first "
                             << "floating-point tensor has " << common
                             << ": an op computes in one precision";
  };
  for (auto [index, type] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(type, "operand", index)))
      return failure();
  for (auto [index, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(type, "result", index)))
      return failure();
  return success();
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

//===----------------------------------------------------------------------===//
// loom.* attributes, as DiscardableAttributes.h lists them
//===----------------------------------------------------------------------===//

static const DiscardableAttribute *lookupDiscardable(StringRef name) {
  for (const DiscardableAttribute *known : kDiscardableAttributes)
    if (known->name == name)
      return known;
  return nullptr;
}

static bool holds(Attribute value, AttributeValue kind) {
  switch (kind) {
  case AttributeValue::string:
    return isa<StringAttr>(value);
  case AttributeValue::strings: {
    auto array = dyn_cast<ArrayAttr>(value);
    return array && llvm::all_of(array, llvm::IsaPred<StringAttr>);
  }
  case AttributeValue::init:
    return isa<InitAttr>(value);
  case AttributeValue::integer:
    return isa<IntegerAttr>(value);
  case AttributeValue::integers:
    return isa<DenseI32ArrayAttr>(value);
  case AttributeValue::unit:
    return isa<UnitAttr>(value);
  case AttributeValue::floats:
    return isa<DenseF64ArrayAttr>(value);
  case AttributeValue::sizes:
    return isa<DenseI64ArrayAttr>(value);
  }
  return false;
}

// For messages, in the order of the enums' cases.
static StringRef describe(AttributeValue kind) {
  static constexpr StringLiteral kValues[] = {
      "a string", "an array of strings", "an initializer (#loom.init<...>)",
      "an integer", "an array of i32 (array<i32: ...>)",
      "a unit attribute (present or absent)",
      "an array of f64 (array<f64: ...>)", "an array of i64 (array<i64: ...>)"};
  return kValues[static_cast<unsigned>(kind)];
}

static StringRef describe(AttributePlace place) {
  static constexpr StringLiteral kPlaces[] = {"a function argument",
                                              "the module", "a function",
                                              "an op"};
  return kPlaces[static_cast<unsigned>(place)];
}

// Checks `attr`, found on `op` (on one of its arguments when `onArgument`).
static LogicalResult verifyDiscardable(Operation *op, NamedAttribute attr,
                                       bool onArgument) {
  const DiscardableAttribute *known = lookupDiscardable(attr.getName());
  if (!known) {
    std::string names;
    for (const DiscardableAttribute *each : kDiscardableAttributes)
      names += (names.empty() ? "" : ", ") + each->name.str();
    return op->emitError("'")
           << attr.getName().getValue()
           << "' is not an attribute of the loom dialect, which has " << names;
  }
  bool placed = false;
  switch (known->place) {
  case AttributePlace::argument:
    placed = onArgument;
    break;
  case AttributePlace::module:
    placed = !onArgument && isa<ModuleOp>(op);
    break;
  case AttributePlace::function:
    placed = !onArgument && isa<FunctionOpInterface>(op);
    break;
  case AttributePlace::anyOp:
    placed = !onArgument;
    break;
  }
  if (!placed)
    return op->emitError("'")
           << known->name << "' belongs on " << describe(known->place)
           << ", not on "
           << (onArgument ? "an argument of '" + op->getName().getStringRef() + "'"
                          : "'" + op->getName().getStringRef() + "'");
  if (!holds(attr.getValue(), known->value))
    return op->emitError("'")
           << known->name << "' must be " << describe(known->value) << ", not "
           << attr.getValue();
  return success();
}

LogicalResult LoomDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  return verifyDiscardable(op, attr, /*onArgument=*/false);
}

LogicalResult LoomDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                    unsigned,
                                                    NamedAttribute attr) {
  return verifyDiscardable(op, attr, /*onArgument=*/true);
}

//===----------------------------------------------------------------------===//
// Activations, by kind
//===----------------------------------------------------------------------===//

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
