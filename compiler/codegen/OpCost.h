//===- OpCost.h - The work and traffic of one loom op -----------*- C++ -*-===//
//
// What a roofline needs of an op: the FLOP of its matrix products and the
// bytes it must at least move. The model's FLOP per step (abi.h's
// train_step_flops) and --profile's per-op costs both come from here.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_OPCOST_H
#define LOOM_COMPILER_CODEGEN_OPCOST_H

namespace mlir {
class Operation;
} // namespace mlir

namespace loomc::codegen {

// 2·M·N·K for each matrix product of `op` (matmul, fused_linear, the
// products of fused_linear_grad; attention's Q·Kᵀ and P·V forward, four
// such backward, each halved by the causal mask); 0 for other ops.
double productFlops(mlir::Operation *op);

// The bytes of `op`'s tensor operands and results, each counted once: what
// it must at least read and write. A tensor whose size is known only at run
// time (an optimizer's range of a parameter) counts as the whole buffer it
// is a range of.
double tensorBytes(mlir::Operation *op);

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_OPCOST_H
