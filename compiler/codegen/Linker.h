//===- Linker.h - Linking a training executable -----------------*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_LINKER_H
#define LOOM_COMPILER_CODEGEN_LINKER_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <string>

namespace loomc {

// The runtime library next to the running loomc: <prefix>/lib/libloom_runtime.a
// for <prefix>/bin/loomc (in the build tree and once installed), or
// libloom_runtime_sanitized.a, the runtime built with AddressSanitizer and
// UndefinedBehaviorSanitizer.
std::string defaultRuntimeLibrary(const char *argv0, bool sanitized);

// Links `objects` with the runtime, libm and OpenMP into `output` using
// LLVM 22's clang driver, with the sanitizers' libraries when `sanitized`
// (the runtime must then be the sanitized one). Reports errors on stderr.
mlir::LogicalResult linkExecutable(llvm::ArrayRef<std::string> objects,
                                   llvm::StringRef runtimeLibrary,
                                   llvm::StringRef output, bool sanitized);

// Links `objects` alone into a shared library that exports abi.h's symbols
// (loom_model, loom_forward_backward, ...), for programs that own the
// buffers themselves, such as loom-bench.
mlir::LogicalResult linkSharedLibrary(llvm::ArrayRef<std::string> objects,
                                      llvm::StringRef output);

} // namespace loomc

#endif // LOOM_COMPILER_CODEGEN_LINKER_H
