//===- AST.h - Syntax tree of a .loom definition ----------------*- C++ -*-===//

#ifndef LOOM_COMPILER_FRONTEND_AST_H
#define LOOM_COMPILER_FRONTEND_AST_H

#include "llvm/Support/SMLoc.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loomc::frontend {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// A call argument: positional when `keyword` is empty, else `keyword=value`.
struct Argument {
  std::string keyword;
  llvm::SMLoc keywordLoc;
  ExprPtr value;
};

struct Expr {
  // `path` is a dotted parameter name (`wte.weight`); `string` a quoted
  // text (`"none"`).
  enum class Kind { integer, real, string, name, path, negate, binary, call };
  Kind kind;
  llvm::SMLoc loc;
  int64_t integer = 0;
  double real = 0.0;
  std::string name; // the name, path or string, or a call's callee
  char op = 0;      // binary: one of + - * /
  ExprPtr lhs, rhs; // binary operands; negate uses lhs
  std::vector<Argument> args;

  Expr(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

enum class DType { f32, i32 };

// `f32[batch, features]`
struct TensorTypeExpr {
  DType dtype = DType::f32;
  llvm::SMLoc loc;
  std::vector<ExprPtr> dims;
};

struct Stmt;

// `block NAME(PARAMS) { BODY }`: a reusable piece of model whose parameters
// are created afresh, under the instance's name, each time it is called.
struct BlockDef {
  std::vector<std::string> params;
  std::vector<llvm::SMLoc> paramLocs;
  std::vector<Stmt> body;
  llvm::SMLoc end; // the closing brace
};

struct Stmt {
  enum class Kind {
    model,    // model NAME
    constant, // const NAME = expr
    input,    // input NAME: dtype[dims]
    param,    // param NAME: dtype[dims] = initializer
    let,      // NAME = expr
    minimize, // minimize expr
    block,    // block NAME(params) { body }
    ret,      // return expr (the last statement of a block)
  };
  Kind kind;
  llvm::SMLoc loc;
  std::string name;
  llvm::SMLoc nameLoc;
  TensorTypeExpr type;
  ExprPtr value;
  std::unique_ptr<BlockDef> block;

  Stmt(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct ModelAST {
  std::vector<Stmt> stmts;
};

} // namespace loomc::frontend

#endif // LOOM_COMPILER_FRONTEND_AST_H
