//===- ModelSignature.h - What each argument of a model function is -*- C++ -*-===//
//
// A model's functions take parameters, gradients, optimizer state, inputs and
// hyperparameters as arguments, each marked by an argument attribute
// (loom.param = "fc1.weight", loom.grad, loom.state, loom.input, loom.hyper).
// This is the one place that reads those attributes.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECTS_LOOM_IR_MODELSIGNATURE_H
#define LOOM_DIALECTS_LOOM_IR_MODELSIGNATURE_H

#include "dialects/loom/IR/LoomDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::loom {

// `cache`: a key/value cache of the inference entry points; `inference`:
// their tokens, position and logits ("tokens", "position", "logits").
enum class ArgumentRole { param, grad, state, input, hyper, cache, inference, unknown };

struct ArgumentInfo {
  ArgumentRole role = ArgumentRole::unknown;
  // The parameter, input or hyperparameter name; for a gradient, the name of
  // its parameter; for optimizer state, "<param>.<slot>".
  StringRef name;
  // The initializer of a parameter or optimizer state (zeros when absent).
  InitAttr init;
  Type type;
};

ArgumentInfo describeArgument(func::FuncOp func, unsigned index);
SmallVector<ArgumentInfo> describeArguments(func::FuncOp func);

StringRef stringifyArgumentRole(ArgumentRole role);

// The loom.hyper argument of grad_norm and the updates that holds, for each
// parameter, the range of its elements they read (-loom-build-train-step).
inline constexpr llvm::StringLiteral kRangesName = "ranges";

// The gradient function -loom-autodiff derives from `forward`, which
// -loom-build-train-step consumes: "F_grad" for F.
inline constexpr llvm::StringLiteral kGradientSuffix = "_grad";
inline std::string gradientFunctionName(StringRef forward) {
  return (forward + kGradientSuffix).str();
}

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_IR_MODELSIGNATURE_H
