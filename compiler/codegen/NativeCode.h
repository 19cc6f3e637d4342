//===- NativeCode.h - From the llvm dialect to an object file ---*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_NATIVECODE_H
#define LOOM_COMPILER_CODEGEN_NATIVECODE_H

#include "compiler/codegen/ModelDescription.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>

namespace loomc {

// A TargetMachine for the CPU loomc runs on, with all of its features
// (AVX-512 where present). Null after reporting an error on `errs`.
std::unique_ptr<llvm::TargetMachine> createHostTargetMachine();

// f32 lanes of the host's widest vector registers: 16 with AVX-512, else 8.
int64_t hostVectorWidth();

// Translates a module in the llvm dialect to LLVM IR and adds what the
// runtime calls (abi.h): `loom_model`, `loom_train_step` and
// `loom_eval_loss`. The compiled functions become internal.
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &context,
                  const ModelDescription &description,
                  llvm::TargetMachine &target);

// LLVM's -O3 pipeline for `target`.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &target);

// Writes the module as an object file, or as assembly text.
mlir::LogicalResult emitObjectFile(llvm::Module &module,
                                   llvm::TargetMachine &target,
                                   llvm::StringRef path);
mlir::LogicalResult emitAssembly(llvm::Module &module,
                                 llvm::TargetMachine &target,
                                 llvm::raw_pwrite_stream &os);

} // namespace loomc

#endif // LOOM_COMPILER_CODEGEN_NATIVECODE_H
