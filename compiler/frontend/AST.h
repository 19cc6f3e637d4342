//===- AST.h - Syntax tree of a .loom definition ----------------*- C++ -*-===//

#ifndef LOOM_COMPILER_FRONTEND_AST_H
#define LOOM_COMPILER_FRONTEND_AST_H

#include "llvm/Support/SMLoc.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom::frontend {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// A call argument: positional when `keyword` is empty, else `keyword=value`.
struct Argument {
  std::string keyword;
  llvm::SMLoc keywordLoc;
  ExprPtr value;
};

struct Expr {
  enum class Kind { integer, real, name, negate, binary, call };
  Kind kind;
  llvm::SMLoc loc;
  int64_t integer = 0;
  double real = 0.0;
  std::string name; // the name, or a call's callee
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

struct Stmt {
  enum class Kind {
    model,    // model NAME
    constant, // const NAME = integer-expr
    input,    // input NAME: dtype[dims]
    param,    // param NAME: dtype[dims] = initializer
    let,      // NAME = expr
    minimize, // minimize expr
  };
  Kind kind;
  llvm::SMLoc loc;
  std::string name;
  llvm::SMLoc nameLoc;
  TensorTypeExpr type;
  ExprPtr value;

  Stmt(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct ModelAST {
  std::vector<Stmt> stmts;
};

} // namespace loom::frontend

#endif // LOOM_COMPILER_FRONTEND_AST_H
