//===- NativeCode.h - From the llvm dialect to an object file ---*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_NATIVECODE_H
#define LOOM_COMPILER_CODEGEN_NATIVECODE_H

#include "compiler/codegen/ModelDescription.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>

namespace loomc {

// The CPU generated code is for: the one loomc runs on (empty `cpu`), with
// all of its features, or a named one (LLVM's names: "znver4",
// "sapphirerapids", "x86-64-v3"), with its features; `features` ("+avx512f,
// -avx512bf16", LLVM's spelling) then adds or removes some.
struct TargetSpec {
  std::string cpu;
  std::string features;
};

// A TargetMachine for `spec`. Null after reporting on `errs` what is wrong
// with it, naming --target-cpu or --target-features.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const TargetSpec &spec);

// f32 lanes of the target's widest vector registers: 16 with AVX-512,
// else 8.
int64_t vectorWidth(const llvm::TargetMachine &target);

// Why products with bf16 operands (--precision=bf16) would not run faster
// than f32 ones on `target`, naming what it lacks; empty when they would.
// They are AMX tile products where the target has AMX-BF16 (about 16x the
// f32 FMA's work per cycle), else AVX512-BF16's dot product (vdpbf16ps),
// measured at twice the f32 FMA rate on AMD Zen 4 and half of it on an
// Intel Xeon with AMX.
// `amxTiles`: the user asked for the AMX tile code (--amx-tiles), which has
// not yet run on an AMX CPU; without it an AMX target is refused.
std::string bf16ProductsUnavailable(const llvm::TargetMachine &target, bool amxTiles);

// Whether `target` has AMX tiles for bf16 products (AMX-TILE, AMX-BF16),
// which --precision=bf16 then uses.
bool hasAmxTiles(const llvm::TargetMachine &target);

// The features of cpu_features.h's table the target has: what an
// executable checks for at start-up.
std::vector<std::string> requiredCpuFeatures(const llvm::TargetMachine &target);

// Translates a module in the llvm dialect to LLVM IR and adds what the
// runtime calls (abi.h): `loom_model`, `loom_train_step` and
// `loom_eval_loss`. The compiled functions become internal.
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &context,
                  const ModelDescription &description,
                  llvm::TargetMachine &target);

// Translates a module of kernels in the llvm dialect (loomc --tune's) to
// LLVM IR as they are, external and called with bare pointers, with
// allocation functions of their own.
std::unique_ptr<llvm::Module> translateKernelsToLLVMIR(mlir::ModuleOp module,
                                                      llvm::LLVMContext &context,
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
