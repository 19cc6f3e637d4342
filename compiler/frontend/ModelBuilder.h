//===- ModelBuilder.h - From a .loom syntax tree to the loom dialect -*- C++ -*-===//

#ifndef LOOM_COMPILER_FRONTEND_MODELBUILDER_H
#define LOOM_COMPILER_FRONTEND_MODELBUILDER_H

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Parser.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

namespace loom::frontend {

struct ModelOptions {
  // -D NAME=VALUE: replaces the value of `const NAME`.
  llvm::StringMap<int64_t> constantOverrides;
};

// Checks names, constants and shapes and builds `func.func @forward` in the
// loom dialect. Returns null after reporting the first error.
mlir::OwningOpRef<mlir::ModuleOp>
buildModel(const ModelAST &ast, llvm::SourceMgr &sourceMgr,
           mlir::MLIRContext &context, ErrorReporter &errors,
           const ModelOptions &options);

// Parses and builds the model in the main buffer of `sourceMgr`.
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
          const ModelOptions &options);

} // namespace loom::frontend

#endif // LOOM_COMPILER_FRONTEND_MODELBUILDER_H
