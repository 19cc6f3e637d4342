//===- Conversions.cpp - Checked conversions of evaluated values ----------===//
//
// Every operand of the language is converted through one of these, so that
// a wrong kind of value is reported in the language's terms, at the
// argument, before any op is built.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ModelBuilderImpl.h"
#include "llvm/Support/MathExtras.h"
#include <charconv>

using namespace loomc::frontend;
using llvm::SMLoc;
using llvm::Twine;
using mlir::Value;
namespace loomir = mlir::loom;

bool ModelBuilder::error(SMLoc loc, const Twine &message) {
  errors.report(loc, message);
  for (const Instance &instance : llvm::reverse(instances))
    errors.note(instance.site, "in '" + instance.scope +
                                   "', an instance of block '" +
                                   instance.block->name + "'");
  return false;
}

std::string ModelBuilder::shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(dim);
  return text + "]";
}

std::string ModelBuilder::typeText(mlir::Type type) {
  auto tensor = mlir::cast<mlir::RankedTensorType>(type);
  std::string dtype = tensor.getElementType().isF32() ? "f32" : "i32";
  return dtype + shapeText(tensor.getShape());
}

// The shortest text that reads back as `value`: 0.5, not 0.500000.
std::string ModelBuilder::numberText(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// 2^40 elements: 4 TiB of f32, beyond any machine this runs on, and far
// from overflowing the 64-bit sizes and offsets of the generated code.
static constexpr int64_t kMaxElements = int64_t(1) << 40;

bool ModelBuilder::checkSize(llvm::ArrayRef<int64_t> shape, SMLoc loc,
                             const Twine &what) {
  int64_t elements = 1;
  for (int64_t dim : shape)
    if (llvm::MulOverflow(elements, dim, elements) || elements > kMaxElements)
      return error(loc, what + " would have " + shapeText(shape) +
                            " elements, more than the 2^40 a tensor may hold");
  return true;
}

static llvm::StringRef kindText(SemValue::Kind kind) {
  switch (kind) {
  case SemValue::Kind::integer:
    return "an integer";
  case SemValue::Kind::real:
    return "a number";
  case SemValue::Kind::string:
    return "a string";
  case SemValue::Kind::tensor:
    return "a tensor";
  case SemValue::Kind::word:
    return "a name";
  case SemValue::Kind::init:
    return "an initializer";
  }
  return "a value";
}

std::optional<int64_t> ModelBuilder::asInteger(const SemValue &value,
                                               const Twine &what) {
  if (value.kind == SemValue::Kind::integer)
    return value.integer;
  if (value.kind == SemValue::Kind::word)
    error(value.loc, "unknown name '" + value.text + "': " + what +
                         " must be an integer constant");
  else
    error(value.loc, what + " must be an integer, not " + kindText(value.kind));
  return std::nullopt;
}

std::optional<int64_t> ModelBuilder::asPositive(const SemValue &value,
                                                const Twine &what) {
  std::optional<int64_t> integer = asInteger(value, what);
  if (integer && *integer <= 0) {
    error(value.loc, what + " must be positive, got " + Twine(*integer));
    return std::nullopt;
  }
  return integer;
}

std::optional<double> ModelBuilder::asReal(const SemValue &value,
                                           const Twine &what) {
  if (value.kind == SemValue::Kind::real)
    return value.real;
  if (value.kind == SemValue::Kind::integer)
    return static_cast<double>(value.integer);
  if (value.kind == SemValue::Kind::word)
    error(value.loc, "unknown name '" + value.text + "': " + what +
                         " must be a number");
  else
    error(value.loc, what + " must be a number, not " + kindText(value.kind));
  return std::nullopt;
}

std::optional<std::string> ModelBuilder::asString(const SemValue &value,
                                                  const Twine &what) {
  if (value.kind == SemValue::Kind::string)
    return value.text;
  error(value.loc, what + " must be a string in double quotes, not " +
                       kindText(value.kind));
  return std::nullopt;
}

std::optional<Value> ModelBuilder::asTensor(const SemValue &value,
                                            const Twine &what, unsigned rank,
                                            bool f32) {
  if (value.kind == SemValue::Kind::word) {
    error(value.loc, "unknown name '" + value.text + "'; " + what +
                         " must be a tensor defined before this line");
    return std::nullopt;
  }
  if (value.kind != SemValue::Kind::tensor) {
    error(value.loc, what + " must be a tensor, not " + kindText(value.kind));
    return std::nullopt;
  }
  auto type = mlir::cast<mlir::RankedTensorType>(value.tensor.getType());
  if (f32 && !type.getElementType().isF32()) {
    error(value.loc, what + " must be an f32 tensor, but " + value.text +
                         " is " + typeText(type));
    return std::nullopt;
  }
  if (!f32 && !type.getElementType().isInteger(32)) {
    error(value.loc, what + " must be an i32 tensor of indices, but " +
                         value.text + " is " + typeText(type));
    return std::nullopt;
  }
  if (rank && type.getRank() != rank) {
    error(value.loc, what + " must have " + Twine(rank) + " dimensions, but " +
                         value.text + " is " + typeText(type));
    return std::nullopt;
  }
  return value.tensor;
}

std::optional<loomir::InitAttr> ModelBuilder::asInit(const SemValue &value,
                                                     const Twine &what) {
  if (value.kind == SemValue::Kind::init)
    return value.init;
  if (value.kind == SemValue::Kind::word) {
    if (value.text == "zeros")
      return loomir::InitAttr::get(&context, loomir::InitKind::zeros);
    if (value.text == "ones")
      return loomir::InitAttr::get(&context, loomir::InitKind::ones);
  }
  error(value.loc, what + " must be an initializer: normal(std), "
                          "uniform(low, high), zeros or ones");
  return std::nullopt;
}

std::optional<bool> ModelBuilder::asBool(const SemValue &value,
                                         const Twine &what) {
  if (value.kind == SemValue::Kind::word &&
      (value.text == "true" || value.text == "false"))
    return value.text == "true";
  error(value.loc, what + " must be true or false");
  return std::nullopt;
}

std::optional<loomir::Activation>
ModelBuilder::asActivation(const SemValue &value) {
  if (value.kind == SemValue::Kind::word)
    if (auto kind = loomir::symbolizeActivation(value.text))
      return kind;
  error(value.loc,
        "activation must be one of none, gelu, gelu_erf, relu, tanh, silu");
  return std::nullopt;
}
