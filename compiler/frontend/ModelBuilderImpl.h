//===- ModelBuilderImpl.h - The model builder's state, for its files -*- C++ -*-===//
//
// Shared by ModelBuilder.cpp (statements, expressions, blocks), Conversions.cpp
// (checked conversions of evaluated values) and Builtins.cpp (the language's
// operations). Not part of the front end's interface: see ModelBuilder.h.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_FRONTEND_MODELBUILDERIMPL_H
#define LOOM_COMPILER_FRONTEND_MODELBUILDERIMPL_H

#include "compiler/frontend/ModelBuilder.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <optional>

namespace loomc::frontend {

// What an expression evaluates to.
struct SemValue {
  enum class Kind { integer, real, string, tensor, word, init };
  Kind kind = Kind::integer;
  llvm::SMLoc loc;
  int64_t integer = 0;
  double real = 0.0;
  mlir::Value tensor;
  // A word's or string's text, or how messages name a tensor ("'h1'", "the
  // result of matmul").
  std::string text;
  mlir::loom::InitAttr init;
};

using Args = llvm::ArrayRef<std::optional<SemValue>>;

class ModelBuilder;
// `scope` is the qualified name the call's parameters go under
// ("h.0.attn.c_attn"), empty when the call is not bound to a name.
using BuiltinFn = std::optional<SemValue> (ModelBuilder::*)(const Expr &call,
                                                           Args args,
                                                           llvm::StringRef scope);

// An operation or initializer callable from the language. Arguments bind by
// position in `params` order or by keyword; the first `required` must be
// given. Operations that create parameters also take `name="..."`.
struct Builtin {
  llvm::StringRef name;
  std::vector<llvm::StringRef> params;
  unsigned required;
  BuiltinFn build;
  bool createsParameters = false;
};

const Builtin *lookupBuiltin(llvm::StringRef name);
// Every builtin, in the table's order (docs/language.md documents each).
llvm::ArrayRef<Builtin> builtins();
std::string builtinNames();

class ModelBuilder {
public:
  ModelBuilder(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
               ErrorReporter &errors, const ModelOptions &options)
      : sourceMgr(sourceMgr), context(context), errors(errors),
        options(options), builder(&context) {}

  mlir::OwningOpRef<mlir::ModuleOp> build(const ModelAST &ast);

  // Builtins.cpp: one per language operation.
  std::optional<SemValue> buildLinear(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildEmbedding(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildPositionEmbedding(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildLayerNorm(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildRmsNorm(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildMatmul(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildAddCall(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildGelu(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildRelu(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildTanh(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildSilu(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildSwiglu(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildAttention(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildRope(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildSlice(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildCrossEntropy(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildMse(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildNormal(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildUniform(const Expr &call, Args args, llvm::StringRef scope);
  std::optional<SemValue> buildSqrt(const Expr &call, Args args, llvm::StringRef scope);

private:
  // ModelBuilder.cpp
  bool buildStatement(const Stmt &stmt);
  // Reports `name` when the scope defines it already (with a note at the
  // previous definition).
  bool checkUndefined(llvm::StringRef name, llvm::SMLoc loc);
  bool define(llvm::StringRef name, llvm::SMLoc loc, SemValue value);
  std::optional<llvm::SmallVector<int64_t>> evaluateShape(const TensorTypeExpr &type,
                                                          llvm::StringRef owner);
  std::optional<SemValue> evaluate(const Expr &expr, llvm::StringRef binding = "");
  std::optional<SemValue> evaluateName(const Expr &expr);
  std::optional<SemValue> evaluatePath(const Expr &expr);
  std::optional<SemValue> evaluateBinary(const Expr &expr);
  std::optional<SemValue> evaluateCall(const Expr &call, llvm::StringRef binding);
  std::optional<SemValue> callBuiltin(const Builtin &builtin, const Expr &call,
                                      llvm::StringRef binding);
  std::optional<SemValue> callBlock(const Stmt &block, const Expr &call,
                                    llvm::StringRef binding);
  std::optional<SemValue> callRepeat(const Expr &call, llvm::StringRef binding);
  std::optional<SemValue> instantiate(const Stmt &block,
                                      llvm::ArrayRef<SemValue> args,
                                      llvm::StringRef scope, llvm::SMLoc site);
  // The scope a parameter-creating call's parameters go under: `name=` if
  // given, else the binding, qualified by the enclosing instance.
  std::optional<std::string> scopeOf(const Expr &call, llvm::StringRef binding,
                                     const std::optional<SemValue> &nameArg);
  // Evaluates the arguments of `call` against `params`, positional ones
  // first, then by keyword; `name="..."` goes to `nameArg` when `takesName`.
  bool bindArguments(const Expr &call, llvm::ArrayRef<std::string> params,
                     bool takesName,
                     llvm::SmallVectorImpl<std::optional<SemValue>> &args,
                     std::optional<SemValue> &nameArg);

public:
  // Conversions.cpp: checked conversions; each reports an error naming
  // `what` on mismatch.
  std::optional<int64_t> asInteger(const SemValue &value, const llvm::Twine &what);
  std::optional<int64_t> asPositive(const SemValue &value, const llvm::Twine &what);
  std::optional<double> asReal(const SemValue &value, const llvm::Twine &what);
  std::optional<std::string> asString(const SemValue &value, const llvm::Twine &what);
  // A tensor of rank `rank` (any rank when 0, at least `minRank` otherwise
  // checked by the caller), f32 unless `f32` is false.
  std::optional<mlir::Value> asTensor(const SemValue &value, const llvm::Twine &what,
                                      unsigned rank = 0, bool f32 = true);
  std::optional<mlir::loom::InitAttr> asInit(const SemValue &value,
                                             const llvm::Twine &what);
  std::optional<bool> asBool(const SemValue &value, const llvm::Twine &what);
  std::optional<mlir::loom::Activation> asActivation(const SemValue &value);

  static std::string shapeText(llvm::ArrayRef<int64_t> shape);
  static std::string typeText(mlir::Type type);
  static std::string numberText(double value);
  // Reports a tensor with more elements than any buffer could hold.
  bool checkSize(llvm::ArrayRef<int64_t> shape, llvm::SMLoc loc, const llvm::Twine &what);

  // Reports an error, followed by a note for each block instance that led
  // to it, innermost first. Returns false.
  bool error(llvm::SMLoc loc, const llvm::Twine &message);
  // error(), for a builtin to return: `return fail(loc, "...")`.
  std::nullopt_t fail(llvm::SMLoc loc, const llvm::Twine &message) {
    error(loc, message);
    return std::nullopt;
  }

private:
  SemValue tensorValue(mlir::Value tensor, llvm::SMLoc loc, std::string text) {
    SemValue v;
    v.kind = SemValue::Kind::tensor;
    v.loc = loc;
    v.tensor = tensor;
    v.text = std::move(text);
    return v;
  }
  std::optional<SemValue> activation(const Expr &call, Args args,
                                     mlir::loom::Activation kind);
  mlir::Value addArgument(mlir::Type type, mlir::DictionaryAttr attrs, llvm::SMLoc loc);
  // Declares the parameter `name` (already qualified); reports a duplicate.
  std::optional<mlir::Value> addParameter(llvm::StringRef name,
                                          llvm::ArrayRef<int64_t> shape,
                                          mlir::loom::InitAttr init, llvm::SMLoc loc);
  // An optional initializer argument, or `fallback`.
  std::optional<mlir::loom::InitAttr> initOr(const std::optional<SemValue> &arg,
                                             mlir::loom::InitAttr fallback,
                                             const llvm::Twine &what);
  std::optional<SemValue> requireScope(const Expr &call, llvm::StringRef scope);

  // The source location, named after the block instance it is built in
  // ("h.3.attn"), so that the ops of different instances stay apart.
  mlir::Location locOf(llvm::SMLoc loc) {
    auto [line, column] = sourceMgr.getLineAndColumn(loc);
    mlir::Location fileLoc =
        mlir::FileLineColLoc::get(&context, bufferName, line, column);
    if (instances.empty())
      return fileLoc;
    return mlir::NameLoc::get(mlir::StringAttr::get(&context, instances.back().scope),
                              fileLoc);
  }
  mlir::RankedTensorType f32Type(llvm::ArrayRef<int64_t> shape) {
    return mlir::RankedTensorType::get(shape, builder.getF32Type());
  }

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
    llvm::SMLoc loc;
  };
  using Names = llvm::StringMap<Binding>;
  // The top level's names, and those of the block instance being built
  // (`locals` is `&globals` outside blocks). A block sees its own names and
  // the top level's constants.
  Names globals;
  Names *locals = &globals;

  // A block instance being built: `scope` qualifies its parameters.
  struct Instance {
    const Stmt *block;
    std::string scope;
    llvm::SMLoc site;
  };
  llvm::SmallVector<Instance> instances;
  llvm::StringMap<const Stmt *> blocks;
  // The scope of every repeat, for the module's loom.repeats.
  llvm::SmallVector<std::string> repeatScopes;

  struct Parameter {
    mlir::Value value;
    llvm::SMLoc loc;
  };
  llvm::StringMap<Parameter> parameters;
  llvm::StringSet<> overriddenConstants;
  std::string modelName;
  std::optional<SemValue> loss;
};

} // namespace loomc::frontend

#endif // LOOM_COMPILER_FRONTEND_MODELBUILDERIMPL_H
