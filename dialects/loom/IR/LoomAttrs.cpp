//===- LoomAttrs.cpp - Attributes of the loom dialect ---------------------===//

#include "dialects/loom/IR/LoomDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include <charconv>

using namespace mlir;
using namespace mlir::loom;

#define GET_ATTRDEF_CLASSES
#include "dialects/loom/IR/LoomAttrs.cpp.inc"

void LoomDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/loom/IR/LoomAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// InitAttr: #loom.init<normal(0.02)>, #loom.init<uniform(-0.1, 0.1)>,
// #loom.init<zeros>, #loom.init<ones>
//===----------------------------------------------------------------------===//

// The shortest decimal text that reads back as the same double, in MLIR's
// float syntax, which needs a '.' in the mantissa: "0.02", "1.0", "1.0e-10".
static std::string shortestText(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  size_t exponent = text.find('e');
  std::string mantissa = text.substr(0, exponent);
  if (mantissa.find('.') == std::string::npos)
    text.insert(exponent == std::string::npos ? text.size() : exponent, ".0");
  return text;
}

static unsigned initArgumentCount(InitKind kind) {
  switch (kind) {
  case InitKind::normal:
    return 1;
  case InitKind::uniform:
    return 2;
  case InitKind::zeros:
  case InitKind::ones:
    return 0;
  }
  return 0;
}

Attribute InitAttr::parse(AsmParser &parser, Type) {
  std::string keyword;
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeywordOrString(&keyword))
    return {};
  std::optional<InitKind> kind = symbolizeInitKind(keyword);
  if (!kind) {
    parser.emitError(loc, "expected an initializer (normal, uniform, zeros "
                          "or ones), got '")
        << keyword << "'";
    return {};
  }
  double args[2] = {0.0, 0.0};
  unsigned count = initArgumentCount(*kind);
  if (count > 0) {
    if (parser.parseLParen())
      return {};
    for (unsigned i = 0; i < count; ++i) {
      if (i > 0 && parser.parseComma())
        return {};
      if (parser.parseFloat(args[i]))
        return {};
    }
    if (parser.parseRParen())
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<InitAttr>(loc, parser.getContext(), *kind,
                                     llvm::APFloat(args[0]),
                                     llvm::APFloat(args[1]));
}

void InitAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyInitKind(getKind());
  switch (getKind()) {
  case InitKind::normal:
    printer << "(" << shortestText(getA().convertToDouble()) << ")";
    break;
  case InitKind::uniform:
    printer << "(" << shortestText(getA().convertToDouble()) << ", " << shortestText(getB().convertToDouble())
            << ")";
    break;
  case InitKind::zeros:
  case InitKind::ones:
    break;
  }
  printer << ">";
}

LogicalResult InitAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               InitKind kind, llvm::APFloat aValue,
                               llvm::APFloat bValue) {
  double a = aValue.convertToDouble(), b = bValue.convertToDouble();
  if (kind == InitKind::normal && !(a >= 0.0))
    return emitError() << "normal initializer needs a non-negative std, got "
                       << shortestText(a);
  if (kind == InitKind::uniform && !(a < b))
    return emitError() << "uniform initializer needs low < high, got ["
                       << shortestText(a) << ", " << shortestText(b) << ")";
  return success();
}
