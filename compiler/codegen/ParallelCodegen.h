//===- ParallelCodegen.h - Optimizing and compiling on every core -*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_PARALLELCODEGEN_H
#define LOOM_COMPILER_CODEGEN_PARALLELCODEGEN_H

#include "mlir/Support/LLVM.h"
#include "llvm/IR/Module.h"
#include <string>
#include <vector>

namespace loomc {

// The parts a module is split into for code generation: a constant, not the
// machine's cores, so that the same model and flags give the same
// executable on any machine (docs/security.md); the cores share the parts.
constexpr unsigned kCodegenParts = 8;

// Splits `module` into one part per path (at most), then optimizes (-O3)
// and compiles each part to its object file, with its own LLVMContext and
// target machine (for `target`), on as many threads as the machine has
// cores (at most one per part). LLVM's optimization and code generation
// take most of the time of compiling a model, and the functions of a
// training step -- the outlined bodies of its parallel loops above all --
// optimize independently. `module` is consumed. Returns the object files
// written (fewer than `paths` when the module has fewer functions).
// `seconds`, when given, receives the slowest thread's wall times.
struct PartTimes {
  double optimization = 0, codeGeneration = 0;
};
struct TargetSpec;
mlir::FailureOr<std::vector<std::string>>
compileInParallel(std::unique_ptr<llvm::Module> module,
                  const std::vector<std::string> &paths, const TargetSpec &target,
                  PartTimes *seconds = nullptr);

} // namespace loomc

#endif // LOOM_COMPILER_CODEGEN_PARALLELCODEGEN_H
