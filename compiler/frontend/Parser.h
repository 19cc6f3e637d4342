//===- Parser.h - Parser of the .loom definition language -------*- C++ -*-===//

#ifndef LOOM_COMPILER_FRONTEND_PARSER_H
#define LOOM_COMPILER_FRONTEND_PARSER_H

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Lexer.h"
#include "llvm/Support/SourceMgr.h"
#include <optional>

namespace loomc::frontend {

// Reports a front-end error at `loc` as "file:line:col: error: message" with
// the offending line and a caret (an invalid `loc`, for errors in flags such
// as -D, prints just "error: message"). Returns false so callers can
// `return report(...)`.
class ErrorReporter {
public:
  explicit ErrorReporter(llvm::SourceMgr &sourceMgr) : sourceMgr(sourceMgr) {}
  bool report(llvm::SMLoc loc, const llvm::Twine &message);
  void note(llvm::SMLoc loc, const llvm::Twine &message);
  bool hadError() const { return errorCount > 0; }

private:
  llvm::SourceMgr &sourceMgr;
  unsigned errorCount = 0;
};

// Parses the main buffer of `sourceMgr`; std::nullopt after reporting the
// first syntax error.
std::optional<ModelAST> parseModel(llvm::SourceMgr &sourceMgr,
                                   ErrorReporter &errors);

} // namespace loomc::frontend

#endif // LOOM_COMPILER_FRONTEND_PARSER_H
