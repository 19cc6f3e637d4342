//===- ModelBuilder.cpp - From a .loom syntax tree to the loom dialect ----===//
//
// Walks the statements in order, evaluating each expression to an integer, a
// real, a string, a tensor (an SSA value of the forward function), a bare
// word (`gelu`, `true`) or an initializer. A block is built afresh at each
// instance, its statements evaluated in a frame of their own with the
// instance's name qualifying every parameter they create. Every op is built
// only after its operands have been checked here, so that errors speak the
// language's terms and point at the definition, never at generated IR.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ModelBuilderImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include <cmath>

using namespace loomc::frontend;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;
using mlir::Value;
namespace loomir = mlir::loom;

// Instances nested deeper than this are taken for a block that instantiates
// itself.
static constexpr size_t kMaxBlockDepth = 64;

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
  case Expr::Kind::string:
    value.kind = SemValue::Kind::string;
    value.text = expr.name;
    return value;
  case Expr::Kind::name:
    return evaluateName(expr);
  case Expr::Kind::path:
    return evaluatePath(expr);
  case Expr::Kind::negate: {
    std::optional<SemValue> inner = evaluate(*expr.lhs);
    if (!inner)
      return std::nullopt;
    if (inner->kind == SemValue::Kind::integer) {
      if (inner->integer == INT64_MIN) {
        error(expr.loc, "integer overflow");
        return std::nullopt;
      }
      inner->integer = -inner->integer;
    } else if (inner->kind == SemValue::Kind::real) {
      inner->real = -inner->real;
    } else {
      error(expr.loc, "'-' negates numbers only");
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

// A name is a value of the current frame; inside a block, also a constant
// of the top level. Unknown names evaluate to words (`gelu`, `true`), which
// the conversions accept or report.
std::optional<SemValue> ModelBuilder::evaluateName(const Expr &expr) {
  auto local = locals->find(expr.name);
  if (local != locals->end()) {
    SemValue value = local->second.value;
    value.loc = expr.loc;
    return value;
  }
  if (locals != &globals) {
    auto global = globals.find(expr.name);
    if (global != globals.end()) {
      SemValue value = global->second.value;
      if (value.kind == SemValue::Kind::tensor) {
        error(expr.loc, "'" + expr.name + "' is a tensor of the top level; "
                        "a block sees only its parameters, its own values "
                        "and the top level's constants, so pass it in");
        return std::nullopt;
      }
      value.loc = expr.loc;
      return value;
    }
  }
  SemValue word;
  word.kind = SemValue::Kind::word;
  word.loc = expr.loc;
  word.text = expr.name;
  return word;
}

// `wte.weight`: a parameter by its name, looked up in the innermost
// instance's scope first, then outwards to the top level.
std::optional<SemValue> ModelBuilder::evaluatePath(const Expr &expr) {
  llvm::SmallVector<std::string> prefixes;
  for (const Instance &instance : llvm::reverse(instances))
    prefixes.push_back(instance.scope + ".");
  prefixes.push_back("");
  for (const std::string &prefix : prefixes) {
    auto it = parameters.find(prefix + expr.name);
    if (it != parameters.end())
      return tensorValue(it->second.value, expr.loc,
                         "'" + prefix + expr.name + "'");
  }
  error(expr.loc, "no parameter named '" + expr.name + "'" +
                      (instances.empty()
                           ? Twine("")
                           : Twine(" in '") + instances.back().scope +
                                 "' or around it") +
                      "; a parameter is defined before it is used");
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

//===----------------------------------------------------------------------===//
// Calls: operations, blocks and repeat
//===----------------------------------------------------------------------===//

std::optional<SemValue> ModelBuilder::evaluateCall(const Expr &call,
                                                   StringRef binding) {
  if (call.name == "repeat")
    return callRepeat(call, binding);
  auto block = blocks.find(call.name);
  if (block != blocks.end())
    return callBlock(*block->second, call, binding);
  if (const Builtin *builtin = lookupBuiltin(call.name))
    return callBuiltin(*builtin, call, binding);
  std::string known = builtinNames() + ", repeat";
  for (const auto &entry : blocks)
    known += ", " + entry.getKey().str();
  error(call.loc, "unknown operation '" + call.name +
                      "'; the language has " + known);
  return std::nullopt;
}

// Evaluates the arguments of `call` against `params`, positional ones first,
// then by keyword. `name="..."` goes to `nameArg` when `takesName`.
bool ModelBuilder::bindArguments(const Expr &call,
                                 llvm::ArrayRef<std::string> params,
                                 bool takesName,
                                 llvm::SmallVectorImpl<std::optional<SemValue>> &args,
                                 std::optional<SemValue> &nameArg) {
  args.assign(params.size(), std::nullopt);
  unsigned position = 0;
  for (const Argument &arg : call.args) {
    SMLoc loc = arg.keyword.empty() ? arg.value->loc : arg.keywordLoc;
    unsigned index;
    if (arg.keyword.empty()) {
      if (position >= params.size())
        return error(loc, Twine(call.name) + " takes at most " +
                              Twine(params.size()) + " arguments");
      index = position++;
    } else if (arg.keyword == "name" && takesName) {
      if (nameArg)
        return error(loc, "argument 'name' of " + call.name + " is given twice");
      std::optional<SemValue> value = evaluate(*arg.value);
      if (!value)
        return false;
      nameArg = value;
      continue;
    } else {
      auto it = llvm::find(params, arg.keyword);
      if (it == params.end()) {
        std::string known;
        for (const std::string &p : params)
          known += (known.empty() ? "" : ", ") + p;
        if (takesName)
          known += (known.empty() ? "" : ", ") + std::string("name");
        return error(loc, Twine(call.name) + " has no argument '" +
                              arg.keyword + "'; its arguments are " + known);
      }
      index = it - params.begin();
      if (args[index])
        return error(loc, "argument '" + arg.keyword + "' of " + call.name +
                              " is given twice");
    }
    std::optional<SemValue> value = evaluate(*arg.value);
    if (!value)
      return false;
    args[index] = std::move(value);
  }
  return true;
}

std::optional<std::string>
ModelBuilder::scopeOf(const Expr &call, StringRef binding,
                      const std::optional<SemValue> &nameArg) {
  std::string local = binding.str();
  if (nameArg) {
    std::optional<std::string> name = asString(*nameArg, "name of " + call.name);
    if (!name)
      return std::nullopt;
    llvm::SmallVector<StringRef> parts;
    StringRef(*name).split(parts, '.');
    for (StringRef part : parts) {
      if (part.empty() || !llvm::all_of(part, [](char c) {
            return llvm::isAlnum(c) || c == '_';
          })) {
        error(nameArg->loc, "name \"" + *name + "\" must be names joined by "
                            "dots, such as \"model.layers\"");
        return std::nullopt;
      }
    }
    local = *name;
  }
  if (local.empty() || instances.empty())
    return local;
  return instances.back().scope + "." + local;
}

std::optional<SemValue> ModelBuilder::callBuiltin(const Builtin &builtin,
                                                  const Expr &call,
                                                  StringRef binding) {
  std::vector<std::string> params(builtin.params.begin(), builtin.params.end());
  llvm::SmallVector<std::optional<SemValue>> args;
  std::optional<SemValue> nameArg;
  if (!bindArguments(call, params, builtin.createsParameters, args, nameArg))
    return std::nullopt;
  for (unsigned i = 0; i < builtin.required; ++i) {
    if (!args[i]) {
      error(call.loc, Twine(call.name) + " needs its argument '" +
                          builtin.params[i] + "'");
      return std::nullopt;
    }
  }
  std::string scope;
  if (builtin.createsParameters) {
    std::optional<std::string> qualified = scopeOf(call, binding, nameArg);
    if (!qualified)
      return std::nullopt;
    if (qualified->empty()) {
      error(call.loc, call.name + " creates parameters named after the value "
                      "it defines, so it must be bound directly, NAME = " +
                          call.name + "(...), or be given name=\"...\"");
      return std::nullopt;
    }
    scope = *qualified;
  }
  return (this->*builtin.build)(call, args, scope);
}

std::optional<SemValue> ModelBuilder::callBlock(const Stmt &block,
                                                const Expr &call,
                                                StringRef binding) {
  llvm::SmallVector<std::optional<SemValue>> args;
  std::optional<SemValue> nameArg;
  if (!bindArguments(call, block.block->params, /*takesName=*/true, args, nameArg))
    return std::nullopt;
  llvm::SmallVector<SemValue> values;
  for (auto [param, arg] : llvm::zip(block.block->params, args)) {
    if (!arg) {
      error(call.loc, "block '" + block.name + "' needs its argument '" +
                          param + "'");
      return std::nullopt;
    }
    values.push_back(*arg);
  }
  std::optional<std::string> scope = scopeOf(call, binding, nameArg);
  if (!scope)
    return std::nullopt;
  if (scope->empty()) {
    error(call.loc, "block '" + block.name + "' names its parameters after "
                    "its instance, so it must be bound directly, NAME = " +
                        block.name + "(...), or be given name=\"...\"");
    return std::nullopt;
  }
  return instantiate(block, values, *scope, call.loc);
}

// repeat(count, block, input, extra...): `count` instances of `block`
// chained through their first argument; instance i is named SCOPE.i, and
// every instance receives the same extra arguments.
std::optional<SemValue> ModelBuilder::callRepeat(const Expr &call,
                                                 StringRef binding) {
  std::optional<SemValue> nameArg;
  llvm::SmallVector<const Expr *> positional;
  for (const Argument &arg : call.args) {
    if (arg.keyword.empty()) {
      positional.push_back(arg.value.get());
      continue;
    }
    if (arg.keyword != "name" || nameArg) {
      error(arg.keywordLoc, arg.keyword == "name"
                                ? Twine("argument 'name' of repeat is given twice")
                                : "repeat takes its count, the block and the "
                                  "block's arguments by position, and name=");
      return std::nullopt;
    }
    if (!(nameArg = evaluate(*arg.value)))
      return std::nullopt;
  }
  if (positional.size() < 3) {
    error(call.loc, "repeat needs a count, a block and the block's first "
                    "argument: repeat(layers, block_name, x)");
    return std::nullopt;
  }
  std::optional<SemValue> countValue = evaluate(*positional[0]);
  if (!countValue)
    return std::nullopt;
  std::optional<int64_t> count = asPositive(*countValue, "the count of repeat");
  if (!count)
    return std::nullopt;
  const Expr &blockExpr = *positional[1];
  auto block = blockExpr.kind == Expr::Kind::name ? blocks.find(blockExpr.name)
                                                  : blocks.end();
  if (block == blocks.end()) {
    error(blockExpr.loc, "the second argument of repeat must name a block "
                         "defined before this line");
    return std::nullopt;
  }
  const Stmt &def = *block->second;
  if (def.block->params.size() != positional.size() - 2) {
    error(call.loc, "block '" + def.name + "' takes " +
                        Twine(def.block->params.size()) + " argument" +
                        (def.block->params.size() == 1 ? "" : "s") +
                        ", but repeat passes it " +
                        Twine(positional.size() - 2));
    return std::nullopt;
  }
  llvm::SmallVector<SemValue> args;
  for (const Expr *arg : llvm::drop_begin(positional, 2)) {
    std::optional<SemValue> value = evaluate(*arg);
    if (!value)
      return std::nullopt;
    args.push_back(*value);
  }
  std::optional<std::string> scope = scopeOf(call, binding, nameArg);
  if (!scope)
    return std::nullopt;
  if (scope->empty()) {
    error(call.loc, "repeat names its instances NAME.0, NAME.1, ..., so it "
                    "must be bound directly, NAME = repeat(...), or be given "
                    "name=\"...\"");
    return std::nullopt;
  }
  repeatScopes.push_back(*scope);
  for (int64_t i = 0; i < *count; ++i) {
    std::optional<SemValue> result =
        instantiate(def, args, *scope + "." + std::to_string(i), call.loc);
    if (!result)
      return std::nullopt;
    args[0] = *result;
  }
  args[0].loc = call.loc;
  return args[0];
}

std::optional<SemValue> ModelBuilder::instantiate(const Stmt &block,
                                                  llvm::ArrayRef<SemValue> args,
                                                  StringRef scope, SMLoc site) {
  for (const Instance &instance : instances) {
    if (instance.block == &block) {
      error(site, "block '" + block.name + "' instantiates itself; a model "
                  "is a fixed graph, so blocks cannot recurse");
      return std::nullopt;
    }
  }
  if (instances.size() >= kMaxBlockDepth) {
    error(site, "blocks nest more than " + Twine(kMaxBlockDepth) + " deep");
    return std::nullopt;
  }
  Names frame;
  for (auto [param, loc, arg] :
       llvm::zip(block.block->params, block.block->paramLocs, args)) {
    SemValue value = arg;
    if (value.kind == SemValue::Kind::tensor)
      value.text = "'" + param + "'";
    frame.try_emplace(param, Binding{value, loc});
  }
  Names *outer = locals;
  locals = &frame;
  instances.push_back({&block, scope.str(), site});
  std::optional<SemValue> result;
  bool ok = true;
  for (const Stmt &stmt : block.block->body) {
    if (result) {
      ok = error(stmt.loc, "statements after 'return' never run");
      break;
    }
    if (stmt.kind != Stmt::Kind::ret) {
      if (!(ok = buildStatement(stmt)))
        break;
      continue;
    }
    result = evaluate(*stmt.value);
    if (!result) {
      ok = false;
      break;
    }
    if (result->kind == SemValue::Kind::word) {
      ok = error(result->loc, "unknown name '" + result->text + "'");
      break;
    }
  }
  if (ok && !result)
    ok = error(block.block->end,
               "block '" + block.name + "' ends without 'return'");
  instances.pop_back();
  locals = outer;
  if (!ok)
    return std::nullopt;
  if (result->kind == SemValue::Kind::tensor)
    result->text = "the result of block '" + block.name + "'";
  result->loc = site;
  return result;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool ModelBuilder::checkUndefined(StringRef name, SMLoc loc) {
  auto it = locals->find(name);
  if (it == locals->end())
    return true;
  error(loc, "'" + name + "' is already defined");
  errors.note(it->second.loc, "previous definition");
  return false;
}

bool ModelBuilder::define(StringRef name, SMLoc loc, SemValue value) {
  if (!checkUndefined(name, loc))
    return false;
  locals->try_emplace(name, Binding{value, loc});
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
    if (!checkUndefined(stmt.name, stmt.nameLoc))
      return false;
    std::optional<SemValue> value = evaluate(*stmt.value);
    if (!value)
      return false;
    if (value->kind != SemValue::Kind::real &&
        !asInteger(*value, "the value of constant '" + stmt.name + "'"))
      return false;
    // -D replaces the top level's constants; a block's are its own.
    auto override = options.constantOverrides.find(stmt.name);
    if (instances.empty() && override != options.constantOverrides.end()) {
      StringRef text = override->second;
      if (value->kind == SemValue::Kind::real) {
        if (text.getAsDouble(value->real) || !std::isfinite(value->real))
          return error(SMLoc(), "-D " + stmt.name + ": '" + text +
                                    "' is not a number");
      } else if (text.getAsInteger(10, value->integer)) {
        return error(SMLoc(), "-D " + stmt.name + ": '" + text +
                                  "' is not an integer (constant '" +
                                  stmt.name + "' is one)");
      }
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
            loomir::kInputAttr,
            builder.getStringAttr(stmt.name))),
        stmt.nameLoc);
    return define(stmt.name, stmt.nameLoc,
                  tensorValue(input, stmt.nameLoc, "'" + stmt.name + "'"));
  }

  case Stmt::Kind::param: {
    if (stmt.type.dtype != DType::f32)
      return error(stmt.type.loc, "parameters are f32");
    if (!checkUndefined(stmt.name, stmt.nameLoc))
      return false;
    auto shape = evaluateShape(stmt.type, stmt.name);
    if (!shape)
      return false;
    std::optional<SemValue> initValue = evaluate(*stmt.value);
    if (!initValue)
      return false;
    auto init = asInit(*initValue, "the initializer of '" + stmt.name + "'");
    if (!init)
      return false;
    std::string name = instances.empty()
                           ? stmt.name
                           : instances.back().scope + "." + stmt.name;
    std::optional<Value> param = addParameter(name, *shape, *init, stmt.nameLoc);
    if (!param)
      return false;
    return define(stmt.name, stmt.nameLoc,
                  tensorValue(*param, stmt.nameLoc, "'" + stmt.name + "'"));
  }

  case Stmt::Kind::let: {
    // Before the value is evaluated: it may create parameters under the
    // name.
    if (!checkUndefined(stmt.name, stmt.nameLoc))
      return false;
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

  case Stmt::Kind::block: {
    if (lookupBuiltin(stmt.name) || stmt.name == "repeat")
      return error(stmt.nameLoc, "'" + stmt.name +
                                     "' is an operation of the language; "
                                     "name the block otherwise");
    auto [it, inserted] = blocks.try_emplace(stmt.name, &stmt);
    if (!inserted) {
      error(stmt.nameLoc, "block '" + stmt.name + "' is already defined");
      errors.note(it->second->nameLoc, "previous definition");
      return false;
    }
    return true;
  }

  case Stmt::Kind::ret:
    return error(stmt.loc, "'return' belongs inside a block");
  }
  return false;
}

//===----------------------------------------------------------------------===//
// The module
//===----------------------------------------------------------------------===//

Value ModelBuilder::addArgument(mlir::Type type, mlir::DictionaryAttr attrs,
                                SMLoc loc) {
  argAttrs.push_back(attrs);
  return body->addArgument(type, locOf(loc));
}

std::optional<Value> ModelBuilder::addParameter(StringRef name,
                                                llvm::ArrayRef<int64_t> shape,
                                                loomir::InitAttr init, SMLoc loc) {
  auto existing = parameters.find(name);
  if (existing != parameters.end()) {
    error(loc, "parameter '" + name + "' is already defined");
    errors.note(existing->second.loc, "defined here");
    return std::nullopt;
  }
  Value param = addArgument(
      f32Type(shape),
      builder.getDictionaryAttr(
          {builder.getNamedAttr(loomir::kParamAttr,
                                builder.getStringAttr(name)),
           builder.getNamedAttr(loomir::kInitAttr, init)}),
      loc);
  parameters[name] = Parameter{param, loc};
  return param;
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
  (*module)->setAttr(loomir::kModelAttr, builder.getStringAttr(modelName));
  if (!repeatScopes.empty())
    (*module)->setAttr(loomir::kRepeatsAttr,
                       builder.getStrArrayAttr(llvm::SmallVector<llvm::StringRef>(
                           repeatScopes.begin(), repeatScopes.end())));
  // `const ctx`, the positions the model is meant for: the default length
  // of the inference entry points' key/value cache.
  if (auto it = globals.find("ctx"); it != globals.end()) {
    const SemValue &ctx = it->second.value;
    if (ctx.kind != SemValue::Kind::integer || ctx.integer < 1) {
      errors.report(it->second.loc, "'ctx' (the positions the model is meant "
                                    "for) must be a positive integer");
      return nullptr;
    }
    (*module)->setAttr(loomir::kContextAttr,
                       builder.getI64IntegerAttr(ctx.integer));
  }
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

mlir::OwningOpRef<mlir::ModuleOp>
loomc::frontend::buildModel(const ModelAST &ast, llvm::SourceMgr &sourceMgr,
                           mlir::MLIRContext &context, ErrorReporter &errors,
                           const ModelOptions &options) {
  context.getOrLoadDialect<loomir::LoomDialect>();
  context.getOrLoadDialect<mlir::func::FuncDialect>();
  ModelBuilder builder(sourceMgr, context, errors, options);
  return builder.build(ast);
}

mlir::OwningOpRef<mlir::ModuleOp>
loomc::frontend::loadModel(llvm::SourceMgr &sourceMgr,
                          mlir::MLIRContext &context,
                          const ModelOptions &options) {
  ErrorReporter errors(sourceMgr);
  std::optional<ModelAST> ast = parseModel(sourceMgr, errors);
  if (!ast)
    return nullptr;
  return buildModel(*ast, sourceMgr, context, errors, options);
}
