//===- ModelBuilder.h - From a .loom syntax tree to the loom dialect -*- C++ -*-===//

#ifndef LOOM_COMPILER_FRONTEND_MODELBUILDER_H
#define LOOM_COMPILER_FRONTEND_MODELBUILDER_H

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Parser.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

namespace loomc::frontend {

struct ModelOptions {
  // -D NAME=VALUE: replaces the value of `const NAME`, read as an integer
  // or a real number as the constant's own value is.
  llvm::StringMap<std::string> constantOverrides;
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

} // namespace loomc::frontend

#endif // LOOM_COMPILER_FRONTEND_MODELBUILDER_H
