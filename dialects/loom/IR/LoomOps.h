//===- LoomOps.h - Ops of the loom dialect ----------------------*- C++ -*-===//

#ifndef LOOM_DIALECTS_LOOM_IR_LOOMOPS_H
#define LOOM_DIALECTS_LOOM_IR_LOOMOPS_H

#include "dialects/loom/IR/LoomDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::OpTrait::loom {
// Loom_CheapToRecompute (LoomInterfaces.td): a marker, nothing to verify.
template <typename ConcreteType>
class CheapToRecompute
    : public ::mlir::OpTrait::TraitBase<ConcreteType, CheapToRecompute> {};

namespace detail {
LogicalResult verifySameFloatElementType(Operation *op);
} // namespace detail

// Loom_SameFloatElementType (LoomBase.td): the op's floating-point tensors,
// operands and results, share one element type.
template <typename ConcreteType>
class SameFloatElementType
    : public ::mlir::OpTrait::TraitBase<ConcreteType, SameFloatElementType> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return detail::verifySameFloatElementType(op);
  }
};
} // namespace mlir::OpTrait::loom

#include "dialects/loom/IR/LoomInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/loom/IR/LoomOps.h.inc"

#endif // LOOM_DIALECTS_LOOM_IR_LOOMOPS_H
