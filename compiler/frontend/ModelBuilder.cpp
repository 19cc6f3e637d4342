//===- ModelBuilder.cpp - From a .loom syntax tree to the loom dialect ----===//
//
// Walks the statements in order, evaluating each expression to an integer, a
// real, a tensor (an SSA value of the forward function), a bare word (`gelu`,
// `true`) or an initializer. Every op is built only after its operands have
// been checked here, so that errors speak the language's terms and point at
// the definition, never at generated IR.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ModelBuilder.h"
#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include <charconv>
#include <cmath>

using namespace loom::frontend;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;
using mlir::Value;
namespace loomir = mlir::loom;

namespace {

struct SemValue {
  enum class Kind { integer, real, tensor, word, init };
  Kind kind = Kind::integer;
  SMLoc loc;
  int64_t integer = 0;
  double real = 0.0;
  Value tensor;
  // A word's text, or how messages name a tensor ("'h1'", "the result of
  // matmul").
  std::string text;
  loomir::InitAttr init;
};

using Args = llvm::ArrayRef<std::optional<SemValue>>;

class ModelBuilder;
using BuiltinFn = std::optional<SemValue> (ModelBuilder::*)(const Expr &call,
                                                           Args args,
                                                           StringRef binding);

// An operation or initializer callable from the language. Arguments bind by
// position in `params` order or by keyword; the first `required` must be
// given.
struct Builtin {
  StringRef name;
  std::vector<StringRef> params;
  unsigned required;
  BuiltinFn build;
};

class ModelBuilder {
public:
  ModelBuilder(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
               ErrorReporter &errors, const ModelOptions &options)
      : sourceMgr(sourceMgr), context(context), errors(errors),
        options(options), builder(&context) {}

  mlir::OwningOpRef<mlir::ModuleOp> build(const ModelAST &ast);

  // Builtins, one per language operation.
  std::optional<SemValue> buildLinear(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildMatmul(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildAddCall(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildGelu(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildRelu(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildTanh(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildCrossEntropy(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildMse(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildNormal(const Expr &call, Args args, StringRef binding);
  std::optional<SemValue> buildUniform(const Expr &call, Args args, StringRef binding);

private:
  bool buildStatement(const Stmt &stmt);
  bool define(StringRef name, SMLoc loc, SemValue value);
  std::optional<llvm::SmallVector<int64_t>> evaluateShape(const TensorTypeExpr &type,
                                                          StringRef owner);

  std::optional<SemValue> evaluate(const Expr &expr, StringRef binding = "");
  std::optional<SemValue> evaluateBinary(const Expr &expr);
  std::optional<SemValue> evaluateCall(const Expr &call, StringRef binding);

  // Checked conversions; each reports an error naming `what` on mismatch.
  std::optional<int64_t> asInteger(const SemValue &value, const Twine &what);
  std::optional<double> asReal(const SemValue &value, const Twine &what);
  std::optional<Value> asTensor(const SemValue &value, const Twine &what,
                                unsigned rank = 0, bool f32 = true);
  std::optional<loomir::InitAttr> asInit(const SemValue &value, const Twine &what);
  std::optional<bool> asBool(const SemValue &value, const Twine &what);
  std::optional<loomir::Activation> asActivation(const SemValue &value);

  SemValue tensorValue(Value tensor, SMLoc loc, std::string text) {
    SemValue v;
    v.kind = SemValue::Kind::tensor;
    v.loc = loc;
    v.tensor = tensor;
    v.text = std::move(text);
    return v;
  }
  std::optional<SemValue> activation(const Expr &call, Args args,
                                     loomir::Activation kind);
  Value applyActivation(mlir::Location loc, Value input, loomir::Activation kind);
  Value addArgument(mlir::Type type, mlir::DictionaryAttr attrs, SMLoc loc);
  Value addParameter(StringRef name, llvm::ArrayRef<int64_t> shape,
                     loomir::InitAttr init, SMLoc loc);

  mlir::Location locOf(SMLoc loc) {
    auto [line, column] = sourceMgr.getLineAndColumn(loc);
    return mlir::FileLineColLoc::get(&context, bufferName, line, column);
  }
  static std::string shapeText(llvm::ArrayRef<int64_t> shape);
  static std::string typeText(mlir::Type type);
  bool error(SMLoc loc, const Twine &message) { return errors.report(loc, message); }
  // Reports a tensor with more elements than any buffer could hold.
  bool checkSize(llvm::ArrayRef<int64_t> shape, SMLoc loc, const Twine &what);

  llvm::SourceMgr &sourceMgr;
  mlir::MLIRContext &context;
  ErrorReporter &errors;
  const ModelOptions &options;
  mlir::OpBuilder builder;
  std::string bufferName;
  mlir::Block *body = nullptr;
  llvm::SmallVector<mlir::DictionaryAttr> argAttrs;

  struct Binding {
    SemValue value;
    SMLoc loc;
  };
  llvm::StringMap<Binding> names;
  llvm::StringMap<SMLoc> parameters;
  llvm::StringSet<> overriddenConstants;
  std::string modelName;
  std::optional<SemValue> loss;
};

const Builtin kBuiltins[] = {
    {"linear",
     {"input", "out_features", "bias", "activation", "weight_init", "bias_init"},
     2, &ModelBuilder::buildLinear},
    {"matmul", {"lhs", "rhs"}, 2, &ModelBuilder::buildMatmul},
    {"add", {"lhs", "rhs"}, 2, &ModelBuilder::buildAddCall},
    {"gelu", {"input"}, 1, &ModelBuilder::buildGelu},
    {"relu", {"input"}, 1, &ModelBuilder::buildRelu},
    {"tanh", {"input"}, 1, &ModelBuilder::buildTanh},
    {"cross_entropy", {"logits", "labels"}, 2, &ModelBuilder::buildCrossEntropy},
    {"mse", {"prediction", "target"}, 2, &ModelBuilder::buildMse},
    {"normal", {"std"}, 1, &ModelBuilder::buildNormal},
    {"uniform", {"low", "high"}, 2, &ModelBuilder::buildUniform},
};

const Builtin *lookupBuiltin(StringRef name) {
  for (const Builtin &builtin : kBuiltins)
    if (builtin.name == name)
      return &builtin;
  return nullptr;
}

std::string builtinNames() {
  std::string text;
  for (const Builtin &builtin : kBuiltins)
    text += (text.empty() ? "" : ", ") + builtin.name.str();
  return text;
}

} // namespace

//===----------------------------------------------------------------------===//
// Formatting
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Checked conversions
//===----------------------------------------------------------------------===//

// The shortest text that reads back as `value`: 0.5, not 0.500000.
static std::string numberText(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

static StringRef kindText(SemValue::Kind kind) {
  switch (kind) {
  case SemValue::Kind::integer:
    return "an integer";
  case SemValue::Kind::real:
    return "a number";
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

std::optional<double> ModelBuilder::asReal(const SemValue &value,
                                           const Twine &what) {
  if (value.kind == SemValue::Kind::real)
    return value.real;
  if (value.kind == SemValue::Kind::integer)
    return static_cast<double>(value.integer);
  error(value.loc, what + " must be a number, not " + kindText(value.kind));
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
  error(value.loc, "activation must be one of none, gelu, relu, tanh");
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

std::optional<SemValue> ModelBuilder::evaluate(const Expr &expr,
                                               StringRef binding) {
  SemValue value;
  value.loc = expr.loc;
  switch (expr.kind) {
  case Expr::Kind::integer:
    value.kind = SemValue::Kind::integer;
    value.integer = expr.integer;
    return value;
  case Expr::Kind::real:
    value.kind = SemValue::Kind::real;
    value.real = expr.real;
    return value;
  case Expr::Kind::name: {
    auto it = names.find(expr.name);
    if (it == names.end()) {
      value.kind = SemValue::Kind::word;
      value.text = expr.name;
      return value;
    }
    value = it->second.value;
    value.loc = expr.loc;
    return value;
  }
  case Expr::Kind::negate: {
    std::optional<SemValue> inner = evaluate(*expr.lhs);
    if (!inner)
      return std::nullopt;
    if (inner->kind == SemValue::Kind::integer) {
      inner->integer = -inner->integer;
    } else if (inner->kind == SemValue::Kind::real) {
      inner->real = -inner->real;
    } else {
      error(expr.loc, "'-' negates numbers only, not " + Twine(kindText(inner->kind)));
      return std::nullopt;
    }
    inner->loc = expr.loc;
    return inner;
  }
  case Expr::Kind::binary:
    return evaluateBinary(expr);
  case Expr::Kind::call:
    return evaluateCall(expr, binding);
  }
  return std::nullopt;
}

std::optional<SemValue> ModelBuilder::evaluateBinary(const Expr &expr) {
  std::optional<SemValue> lhs = evaluate(*expr.lhs);
  if (!lhs)
    return std::nullopt;
  std::optional<SemValue> rhs = evaluate(*expr.rhs);
  if (!rhs)
    return std::nullopt;
  using Kind = SemValue::Kind;
  SemValue result;
  result.loc = expr.loc;

  for (const SemValue *operand : {&*lhs, &*rhs}) {
    if (operand->kind == Kind::word) {
      error(operand->loc, "unknown name '" + operand->text + "'");
      return std::nullopt;
    }
  }
  if (lhs->kind == Kind::tensor || rhs->kind == Kind::tensor) {
    if (expr.op != '+') {
      error(expr.loc, "'" + Twine(expr.op) +
                          "' is defined on numbers only; tensors support '+'");
      return std::nullopt;
    }
    std::optional<SemValue> args[] = {*lhs, *rhs};
    return buildAddCall(expr, args, "");
  }

  if (lhs->kind == Kind::integer && rhs->kind == Kind::integer) {
    int64_t a = lhs->integer, b = rhs->integer, r = 0;
    bool overflow = false;
    switch (expr.op) {
    case '+':
      overflow = llvm::AddOverflow(a, b, r);
      break;
    case '-':
      overflow = llvm::SubOverflow(a, b, r);
      break;
    case '*':
      overflow = llvm::MulOverflow(a, b, r);
      break;
    case '/':
      if (b == 0) {
        error(expr.loc, "division by zero");
        return std::nullopt;
      }
      if (a % b != 0) {
        error(expr.loc, Twine(a) + " / " + Twine(b) +
                            " is not a whole number; sizes must divide exactly");
        return std::nullopt;
      }
      r = a / b;
      break;
    }
    if (overflow) {
      error(expr.loc, "integer overflow");
      return std::nullopt;
    }
    result.kind = Kind::integer;
    result.integer = r;
    return result;
  }

  std::optional<double> a = asReal(*lhs, "the left operand");
  std::optional<double> b = a ? asReal(*rhs, "the right operand") : std::nullopt;
  if (!a || !b)
    return std::nullopt;
  result.kind = Kind::real;
  switch (expr.op) {
  case '+':
    result.real = *a + *b;
    break;
  case '-':
    result.real = *a - *b;
    break;
  case '*':
    result.real = *a * *b;
    break;
  case '/':
    if (*b == 0.0) {
      error(expr.loc, "division by zero");
      return std::nullopt;
    }
    result.real = *a / *b;
    break;
  }
  return result;
}

std::optional<SemValue> ModelBuilder::evaluateCall(const Expr &call,
                                                   StringRef binding) {
  const Builtin *builtin = lookupBuiltin(call.name);
  if (!builtin) {
    error(call.loc, "unknown operation '" + call.name + "'; the language has " +
                        builtinNames());
    return std::nullopt;
  }
  llvm::SmallVector<std::optional<SemValue>> args(builtin->params.size());
  llvm::SmallVector<SMLoc> argLocs(builtin->params.size());
  unsigned position = 0;
  for (const Argument &arg : call.args) {
    unsigned index;
    SMLoc loc = arg.keyword.empty() ? arg.value->loc : arg.keywordLoc;
    if (arg.keyword.empty()) {
      if (position >= builtin->params.size()) {
        error(loc, Twine(call.name) + " takes at most " +
                       Twine(builtin->params.size()) + " arguments");
        return std::nullopt;
      }
      index = position++;
    } else {
      auto it = llvm::find(builtin->params, arg.keyword);
      if (it == builtin->params.end()) {
        std::string known;
        for (StringRef p : builtin->params)
          known += (known.empty() ? "" : ", ") + p.str();
        error(loc, Twine(call.name) + " has no argument '" + arg.keyword +
                       "'; its arguments are " + known);
        return std::nullopt;
      }
      index = it - builtin->params.begin();
      if (args[index]) {
        error(loc, "argument '" + arg.keyword + "' of " + call.name +
                       " is given twice");
        return std::nullopt;
      }
    }
    std::optional<SemValue> value = evaluate(*arg.value);
    if (!value)
      return std::nullopt;
    args[index] = std::move(value);
    argLocs[index] = loc;
  }
  for (unsigned i = 0; i < builtin->required; ++i) {
    if (!args[i]) {
      error(call.loc, Twine(call.name) + " needs its argument '" +
                          builtin->params[i] + "'");
      return std::nullopt;
    }
  }
  return (this->*builtin->build)(call, args, binding);
}

//===----------------------------------------------------------------------===//
// Builtins
//===----------------------------------------------------------------------===//

Value ModelBuilder::addArgument(mlir::Type type, mlir::DictionaryAttr attrs,
                                SMLoc loc) {
  argAttrs.push_back(attrs);
  return body->addArgument(type, locOf(loc));
}

Value ModelBuilder::addParameter(StringRef name, llvm::ArrayRef<int64_t> shape,
                                 loomir::InitAttr init, SMLoc loc) {
  parameters[name] = loc;
  auto type = mlir::RankedTensorType::get(shape, builder.getF32Type());
  return addArgument(
      type,
      builder.getDictionaryAttr(
          {builder.getNamedAttr(loomir::LoomDialect::kParamAttrName,
                                builder.getStringAttr(name)),
           builder.getNamedAttr(loomir::LoomDialect::kInitAttrName, init)}),
      loc);
}

Value ModelBuilder::applyActivation(mlir::Location loc, Value input,
                                    loomir::Activation kind) {
  switch (kind) {
  case loomir::Activation::none:
    return input;
  case loomir::Activation::gelu:
    return loomir::GeluOp::create(builder, loc, input);
  case loomir::Activation::relu:
    return loomir::ReluOp::create(builder, loc, input);
  case loomir::Activation::tanh:
    return loomir::TanhOp::create(builder, loc, input);
  }
  return input;
}

// linear(input, out_features, bias=true, activation=none, weight_init=…,
// bias_init=…): act(input · W + b) with parameters NAME.weight
// [in_features, out_features] and NAME.bias [out_features].
std::optional<SemValue> ModelBuilder::buildLinear(const Expr &call, Args args,
                                                  StringRef binding) {
  if (binding.empty()) {
    error(call.loc, "linear creates parameters named after the value it "
                    "defines, so it must be bound directly: NAME = linear(...)");
    return std::nullopt;
  }
  std::optional<Value> input = asTensor(*args[0], "the input of linear", 2);
  if (!input)
    return std::nullopt;
  std::optional<int64_t> outFeatures =
      asInteger(*args[1], "out_features of linear");
  if (!outFeatures)
    return std::nullopt;
  if (*outFeatures <= 0) {
    error(args[1]->loc, "out_features of linear must be positive, got " +
                            Twine(*outFeatures));
    return std::nullopt;
  }
  bool hasBias = true;
  if (args[2]) {
    std::optional<bool> b = asBool(*args[2], "bias of linear");
    if (!b)
      return std::nullopt;
    hasBias = *b;
  }
  loomir::Activation kind = loomir::Activation::none;
  if (args[3]) {
    std::optional<loomir::Activation> a = asActivation(*args[3]);
    if (!a)
      return std::nullopt;
    kind = *a;
  }
  auto inputType = mlir::cast<mlir::RankedTensorType>(input->getType());
  int64_t inFeatures = inputType.getDimSize(1);
  // torch.nn.Linear's default: U(-1/√in, 1/√in) for weight and bias.
  double bound = 1.0 / std::sqrt(static_cast<double>(inFeatures));
  auto defaultInit = loomir::InitAttr::get(&context, loomir::InitKind::uniform,
                                           -bound, bound);
  loomir::InitAttr weightInit = defaultInit, biasInit = defaultInit;
  if (args[4]) {
    auto init = asInit(*args[4], "weight_init of linear");
    if (!init)
      return std::nullopt;
    weightInit = *init;
  }
  if (args[5]) {
    if (!hasBias) {
      error(args[5]->loc, "bias_init is given but bias=false");
      return std::nullopt;
    }
    auto init = asInit(*args[5], "bias_init of linear");
    if (!init)
      return std::nullopt;
    biasInit = *init;
  }

  if (!checkSize({inFeatures, *outFeatures}, call.loc, "the weight of linear") ||
      !checkSize({inputType.getDimSize(0), *outFeatures}, call.loc,
                 "the result of linear"))
    return std::nullopt;
  std::string weightName = (binding + ".weight").str();
  std::string biasName = (binding + ".bias").str();
  for (const std::string &name : {weightName, biasName}) {
    if (parameters.count(name)) {
      error(call.loc, "parameter '" + name + "' is already defined");
      errors.note(parameters[name], "defined here");
      return std::nullopt;
    }
  }
  mlir::Location loc = locOf(call.loc);
  Value weight =
      addParameter(weightName, {inFeatures, *outFeatures}, weightInit, call.loc);
  Value result = loomir::createMatmul(builder, loc, *input, weight);
  if (hasBias) {
    Value bias = addParameter(biasName, {*outFeatures}, biasInit, call.loc);
    result = loomir::createAdd(builder, loc, result, bias);
  }
  result = applyActivation(loc, result, kind);
  return tensorValue(result, call.loc, "the result of linear");
}

std::optional<SemValue> ModelBuilder::buildMatmul(const Expr &call, Args args,
                                                  StringRef) {
  std::optional<Value> lhs = asTensor(*args[0], "the left operand of matmul", 2);
  if (!lhs)
    return std::nullopt;
  std::optional<Value> rhs = asTensor(*args[1], "the right operand of matmul", 2);
  if (!rhs)
    return std::nullopt;
  auto lhsType = mlir::cast<mlir::RankedTensorType>(lhs->getType());
  auto rhsType = mlir::cast<mlir::RankedTensorType>(rhs->getType());
  if (lhsType.getDimSize(1) != rhsType.getDimSize(0)) {
    error(call.loc, "matmul needs the columns of its left operand to equal the "
                    "rows of its right one, but " +
                        args[0]->text + " is " + typeText(lhsType) + " and " +
                        args[1]->text + " is " + typeText(rhsType));
    return std::nullopt;
  }
  if (!checkSize({lhsType.getDimSize(0), rhsType.getDimSize(1)}, call.loc,
                 "the result of matmul"))
    return std::nullopt;
  return tensorValue(loomir::createMatmul(builder, locOf(call.loc), *lhs, *rhs),
                     call.loc, "the result of matmul");
}

std::optional<SemValue> ModelBuilder::buildAddCall(const Expr &call, Args args,
                                                   StringRef) {
  std::optional<Value> lhs = asTensor(*args[0], "the left operand of '+'");
  if (!lhs)
    return std::nullopt;
  std::optional<Value> rhs = asTensor(*args[1], "the right operand of '+'");
  if (!rhs)
    return std::nullopt;
  auto lhsType = mlir::cast<mlir::RankedTensorType>(lhs->getType());
  auto rhsType = mlir::cast<mlir::RankedTensorType>(rhs->getType());
  if (failed(loomir::addResultShape(lhsType.getShape(), rhsType.getShape()))) {
    error(call.loc, "cannot add " + args[0]->text + ", " + typeText(lhsType) +
                        ", and " + args[1]->text + ", " + typeText(rhsType) +
                        ": the shapes must be equal, or the lower-rank one must "
                        "equal the trailing dimensions of the other");
    return std::nullopt;
  }
  return tensorValue(loomir::createAdd(builder, locOf(call.loc), *lhs, *rhs),
                     call.loc, "the sum");
}

std::optional<SemValue> ModelBuilder::activation(const Expr &call, Args args,
                                                 loomir::Activation kind) {
  std::string what = "the input of " + call.name;
  std::optional<Value> input = asTensor(*args[0], what);
  if (!input)
    return std::nullopt;
  return tensorValue(applyActivation(locOf(call.loc), *input, kind), call.loc,
                     "the result of " + call.name);
}

std::optional<SemValue> ModelBuilder::buildGelu(const Expr &call, Args args,
                                                StringRef) {
  return activation(call, args, loomir::Activation::gelu);
}
std::optional<SemValue> ModelBuilder::buildRelu(const Expr &call, Args args,
                                                StringRef) {
  return activation(call, args, loomir::Activation::relu);
}
std::optional<SemValue> ModelBuilder::buildTanh(const Expr &call, Args args,
                                                StringRef) {
  return activation(call, args, loomir::Activation::tanh);
}

std::optional<SemValue> ModelBuilder::buildCrossEntropy(const Expr &call,
                                                        Args args, StringRef) {
  std::optional<Value> logits =
      asTensor(*args[0], "the logits of cross_entropy", 2);
  if (!logits)
    return std::nullopt;
  std::optional<Value> labels = asTensor(*args[1], "the labels of cross_entropy",
                                         1, /*f32=*/false);
  if (!labels)
    return std::nullopt;
  auto logitsType = mlir::cast<mlir::RankedTensorType>(logits->getType());
  auto labelsType = mlir::cast<mlir::RankedTensorType>(labels->getType());
  if (!labelsType.getElementType().isInteger(32)) {
    error(args[1]->loc, "the labels of cross_entropy must be class indices, "
                        "i32, but " +
                            args[1]->text + " is " + typeText(labelsType));
    return std::nullopt;
  }
  if (labelsType.getDimSize(0) != logitsType.getDimSize(0)) {
    error(call.loc, "cross_entropy needs one label per row of logits, but " +
                        args[0]->text + " is " + typeText(logitsType) +
                        " and " + args[1]->text + " is " +
                        typeText(labelsType));
    return std::nullopt;
  }
  auto lossType = mlir::RankedTensorType::get({}, builder.getF32Type());
  Value loss = loomir::CrossEntropyOp::create(builder, locOf(call.loc),
                                              lossType, *logits, *labels);
  return tensorValue(loss, call.loc, "the loss");
}

std::optional<SemValue> ModelBuilder::buildMse(const Expr &call, Args args,
                                               StringRef) {
  std::optional<Value> prediction = asTensor(*args[0], "the prediction of mse");
  if (!prediction)
    return std::nullopt;
  std::optional<Value> target = asTensor(*args[1], "the target of mse");
  if (!target)
    return std::nullopt;
  if (prediction->getType() != target->getType()) {
    error(call.loc, "mse needs prediction and target of one shape, but " +
                        args[0]->text + " is " +
                        typeText(prediction->getType()) + " and " +
                        args[1]->text + " is " + typeText(target->getType()));
    return std::nullopt;
  }
  auto lossType = mlir::RankedTensorType::get({}, builder.getF32Type());
  Value loss = loomir::MseOp::create(builder, locOf(call.loc), lossType,
                                     *prediction, *target);
  return tensorValue(loss, call.loc, "the loss");
}

std::optional<SemValue> ModelBuilder::buildNormal(const Expr &call, Args args,
                                                  StringRef) {
  std::optional<double> std = asReal(*args[0], "std of normal");
  if (!std)
    return std::nullopt;
  if (*std < 0) {
    error(args[0]->loc, "std of normal must not be negative");
    return std::nullopt;
  }
  SemValue value;
  value.kind = SemValue::Kind::init;
  value.loc = call.loc;
  value.init = loomir::InitAttr::get(&context, loomir::InitKind::normal, *std);
  return value;
}

std::optional<SemValue> ModelBuilder::buildUniform(const Expr &call, Args args,
                                                   StringRef) {
  std::optional<double> low = asReal(*args[0], "low of uniform");
  if (!low)
    return std::nullopt;
  std::optional<double> high = asReal(*args[1], "high of uniform");
  if (!high)
    return std::nullopt;
  if (!(*low < *high)) {
    error(call.loc, "uniform needs low < high, got " + numberText(*low) +
                        " and " + numberText(*high));
    return std::nullopt;
  }
  SemValue value;
  value.kind = SemValue::Kind::init;
  value.loc = call.loc;
  value.init =
      loomir::InitAttr::get(&context, loomir::InitKind::uniform, *low, *high);
  return value;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool ModelBuilder::define(StringRef name, SMLoc loc, SemValue value) {
  auto [it, inserted] = names.try_emplace(name, Binding{value, loc});
  if (!inserted) {
    error(loc, "'" + name + "' is already defined");
    errors.note(it->second.loc, "previous definition");
    return false;
  }
  return true;
}

std::optional<llvm::SmallVector<int64_t>>
ModelBuilder::evaluateShape(const TensorTypeExpr &type, StringRef owner) {
  llvm::SmallVector<int64_t> shape;
  for (auto [i, dimExpr] : llvm::enumerate(type.dims)) {
    std::optional<SemValue> value = evaluate(*dimExpr);
    if (!value)
      return std::nullopt;
    std::optional<int64_t> dim = asInteger(
        *value, "dimension " + Twine(i + 1) + " of '" + owner + "'");
    if (!dim)
      return std::nullopt;
    if (*dim <= 0) {
      error(dimExpr->loc, "dimension " + Twine(i + 1) + " of '" + owner +
                              "' is " + Twine(*dim) +
                              "; dimensions must be positive");
      return std::nullopt;
    }
    shape.push_back(*dim);
  }
  if (!checkSize(shape, type.loc, "'" + owner + "'"))
    return std::nullopt;
  return shape;
}

bool ModelBuilder::buildStatement(const Stmt &stmt) {
  switch (stmt.kind) {
  case Stmt::Kind::model:
    if (!modelName.empty())
      return error(stmt.loc, "the model is already named '" + modelName + "'");
    modelName = stmt.name;
    return true;

  case Stmt::Kind::constant: {
    std::optional<SemValue> value = evaluate(*stmt.value);
    if (!value)
      return false;
    std::optional<int64_t> integer =
        asInteger(*value, "the value of constant '" + stmt.name + "'");
    if (!integer)
      return false;
    auto override = options.constantOverrides.find(stmt.name);
    if (override != options.constantOverrides.end()) {
      value->integer = override->second;
      overriddenConstants.insert(stmt.name);
    }
    return define(stmt.name, stmt.nameLoc, *value);
  }

  case Stmt::Kind::input: {
    auto shape = evaluateShape(stmt.type, stmt.name);
    if (!shape)
      return false;
    mlir::Type element = stmt.type.dtype == DType::f32
                             ? mlir::Type(builder.getF32Type())
                             : mlir::Type(builder.getI32Type());
    Value input = addArgument(
        mlir::RankedTensorType::get(*shape, element),
        builder.getDictionaryAttr(builder.getNamedAttr(
            loomir::LoomDialect::kInputAttrName,
            builder.getStringAttr(stmt.name))),
        stmt.nameLoc);
    return define(stmt.name, stmt.nameLoc,
                  tensorValue(input, stmt.nameLoc, "'" + stmt.name + "'"));
  }

  case Stmt::Kind::param: {
    if (stmt.type.dtype != DType::f32)
      return error(stmt.type.loc, "parameters are f32");
    auto shape = evaluateShape(stmt.type, stmt.name);
    if (!shape)
      return false;
    std::optional<SemValue> initValue = evaluate(*stmt.value);
    if (!initValue)
      return false;
    auto init = asInit(*initValue, "the initializer of '" + stmt.name + "'");
    if (!init)
      return false;
    if (parameters.count(stmt.name)) {
      error(stmt.nameLoc, "parameter '" + stmt.name + "' is already defined");
      errors.note(parameters[stmt.name], "defined here");
      return false;
    }
    Value param = addParameter(stmt.name, *shape, *init, stmt.nameLoc);
    return define(stmt.name, stmt.nameLoc,
                  tensorValue(param, stmt.nameLoc, "'" + stmt.name + "'"));
  }

  case Stmt::Kind::let: {
    if (names.count(stmt.name)) {
      error(stmt.nameLoc, "'" + stmt.name + "' is already defined");
      errors.note(names[stmt.name].loc, "previous definition");
      return false;
    }
    std::optional<SemValue> value = evaluate(*stmt.value, stmt.name);
    if (!value)
      return false;
    if (value->kind == SemValue::Kind::word)
      return error(value->loc, "unknown name '" + value->text + "'");
    if (value->kind == SemValue::Kind::tensor)
      value->text = "'" + stmt.name + "'";
    return define(stmt.name, stmt.nameLoc, *value);
  }

  case Stmt::Kind::minimize: {
    if (loss)
      return error(stmt.loc, "the model already says what to minimize");
    std::optional<SemValue> value = evaluate(*stmt.value);
    if (!value)
      return false;
    std::optional<Value> tensor = asTensor(*value, "what 'minimize' takes");
    if (!tensor)
      return false;
    if (mlir::cast<mlir::RankedTensorType>(tensor->getType()).getRank() != 0)
      return error(value->loc,
                   "'minimize' takes a scalar loss such as the result of "
                   "cross_entropy or mse, but " +
                       value->text + " is " + typeText(tensor->getType()));
    loss = *value;
    return true;
  }
  }
  return false;
}

mlir::OwningOpRef<mlir::ModuleOp> ModelBuilder::build(const ModelAST &ast) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  bufferName = buffer->getBufferIdentifier().str();
  mlir::Location fileLoc = mlir::FileLineColLoc::get(&context, bufferName, 1, 1);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(fileLoc);

  builder.setInsertionPointToEnd(module->getBody());
  auto forward = mlir::func::FuncOp::create(builder, fileLoc, "forward",
                                            builder.getFunctionType({}, {}));
  body = forward.addEntryBlock();
  builder.setInsertionPointToStart(body);

  for (const Stmt &stmt : ast.stmts)
    if (!buildStatement(stmt))
      return nullptr;

  for (const auto &entry : options.constantOverrides) {
    if (!overriddenConstants.contains(entry.getKey())) {
      std::string known;
      for (const Stmt &stmt : ast.stmts)
        if (stmt.kind == Stmt::Kind::constant)
          known += (known.empty() ? "" : ", ") + stmt.name;
      errors.report(SMLoc(), "-D " + entry.getKey() +
                                 ": the model defines no constant named '" +
                                 entry.getKey() + "' (its constants: " +
                                 (known.empty() ? "none" : known) + ")");
      return nullptr;
    }
  }
  if (!loss) {
    SMLoc end = SMLoc::getFromPointer(buffer->getBufferEnd());
    errors.report(end, "the model never says what to train: end it with "
                       "'minimize LOSS'");
    return nullptr;
  }

  mlir::func::ReturnOp::create(builder, locOf(loss->loc), loss->tensor);
  forward.setFunctionType(
      builder.getFunctionType(body->getArgumentTypes(), {loss->tensor.getType()}));
  forward.setAllArgAttrs(argAttrs);
  if (modelName.empty())
    modelName = llvm::sys::path::stem(bufferName).str();
  (*module)->setAttr("loom.model", builder.getStringAttr(modelName));
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

mlir::OwningOpRef<mlir::ModuleOp>
loom::frontend::buildModel(const ModelAST &ast, llvm::SourceMgr &sourceMgr,
                           mlir::MLIRContext &context, ErrorReporter &errors,
                           const ModelOptions &options) {
  context.getOrLoadDialect<loomir::LoomDialect>();
  context.getOrLoadDialect<mlir::func::FuncDialect>();
  ModelBuilder builder(sourceMgr, context, errors, options);
  return builder.build(ast);
}

mlir::OwningOpRef<mlir::ModuleOp>
loom::frontend::loadModel(llvm::SourceMgr &sourceMgr,
                          mlir::MLIRContext &context,
                          const ModelOptions &options) {
  ErrorReporter errors(sourceMgr);
  std::optional<ModelAST> ast = parseModel(sourceMgr, errors);
  if (!ast)
    return nullptr;
  return buildModel(*ast, sourceMgr, context, errors, options);
}
