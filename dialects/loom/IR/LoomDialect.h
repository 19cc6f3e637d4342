//===- LoomDialect.h - The loom dialect and its attributes ------*- C++ -*-===//

#ifndef LOOM_DIALECTS_LOOM_IR_LOOMDIALECT_H
#define LOOM_DIALECTS_LOOM_IR_LOOMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/Dialect.h"
#include "dialects/loom/IR/DiscardableAttributes.h"

#include "dialects/loom/IR/LoomDialect.h.inc"
#include "dialects/loom/IR/LoomEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/loom/IR/LoomAttrs.h.inc"

namespace mlir::loom {

// The op that applies `activation` (one with ActivationOpInterface), or
// nothing for `none`.
std::optional<RegisteredOperationName> activationOpName(MLIRContext *context,
                                                        Activation activation);

// Whether the gradient of `activation` reads its input (the pre-activation
// value) rather than its output, as its op says. GELU and SiLU need the
// input; ReLU and tanh can be differentiated from their output alone.
bool activationGradNeedsInput(MLIRContext *context, Activation activation);

// "gelu, gelu_erf and silu": the activations whose gradients read their
// input, for messages.
std::string activationsWhoseGradientReadsInput(MLIRContext *context);

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_IR_LOOMDIALECT_H
