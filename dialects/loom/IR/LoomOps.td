//===- LoomOps.td - Ops of the loom dialect ----------------*- tablegen -*-===//
//
// One file per op family, each holding the family's forward ops (with
// gradient rules), the gradient ops those rules emit, and, last, the
// optimizer updates, the fused ops formed by the fusion pass and, last, the
// ops through which compiled code talks to the runtime. The C++ of each
// family (verifiers and gradient rules side by side) is in the .cpp of the
// same name. Shapes are static, but for the optimizer updates, which also
// run on a 1-D slice of a parameter whose length is known at run time (a
// ZeRO-1 shard); tensors whose leading dimensions are batch-like ([B, T, C])
// are handled by every op that takes rows.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_OPS_TD
#define LOOM_OPS_TD

include "dialects/loom/IR/LoomBase.td"
include "dialects/loom/IR/LoomAttrs.td"
include "dialects/loom/IR/LoomInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class Loom_DifferentiableOp<string mnemonic, list<Trait> traits = []>
    : Loom_Op<mnemonic, !listconcat(traits,
        [DeclareOpInterfaceMethods<Loom_DifferentiableOpInterface>])>;

include "dialects/loom/IR/LinearAlgebraOps.td"
include "dialects/loom/IR/ElementwiseOps.td"
include "dialects/loom/IR/NormalizationOps.td"
include "dialects/loom/IR/AttentionOps.td"
include "dialects/loom/IR/ShapeOps.td"
include "dialects/loom/IR/LossOps.td"
include "dialects/loom/IR/OptimizerOps.td"
include "dialects/loom/IR/FusedOps.td"
include "dialects/loom/IR/RuntimeOps.td"

#endif // LOOM_OPS_TD
