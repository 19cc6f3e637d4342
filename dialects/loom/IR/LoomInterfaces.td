//===- LoomInterfaces.td - Interfaces of loom ops ----------*- tablegen -*-===//

#ifndef LOOM_INTERFACES_TD
#define LOOM_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Loom_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::loom";
  let description = [{
    An op that states its reverse-mode gradient rule. Given the adjoint of each
    result (dL/dresult), the rule builds ops that compute the adjoint of each
    operand that needs one (dL/doperand). Rules live beside the op's verifier,
    one banner per op, in the order of LoomOps.td.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the adjoints of the operands at the builder's insertion point.
        `resultGrads` has one adjoint per result; `needsGrad` says, per
        operand, whether its adjoint is wanted (operands that do not depend on
        a parameter need none). On success `operandGrads` holds one value per
        operand: the adjoint, or a null value where none was wanted.
      }],
      "::llvm::LogicalResult", "buildGradient",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::ArrayRef<bool>":$needsGrad,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

def Loom_ActivationOpInterface : OpInterface<"ActivationOpInterface"> {
  let cppNamespace = "::mlir::loom";
  let description = [{
    An elementwise activation `y = f(x)` of one tensor. The activations are
    the ops with this interface, each stating its kind (the name fused ops
    and `activation_grad` use) and what its gradient reads: the front end
    builds one by kind, `-loom-fuse-linear` folds it into a layer,
    `-loom-rematerialize` recomputes a fused layer's output with it, and the
    lowering applies its formula, all by asking the op.
  }];
  let methods = [
    StaticInterfaceMethod<[{
        The activation the op applies, as fused ops and `activation_grad`
        name it.
      }], "::mlir::loom::Activation", "getKind">,
    StaticInterfaceMethod<[{
        Whether the gradient reads the activation's input (the
        pre-activation value) rather than its output.
      }], "bool", "gradientReadsInput">,
  ];
}

// An op whose result is cheap to compute again from its operands, which
// its own gradient reads anyway: -loom-rematerialize recomputes it in the
// backward pass instead of keeping it.
def Loom_CheapToRecompute : NativeOpTrait<"CheapToRecompute"> {
  let cppNamespace = "::mlir::OpTrait::loom";
}

#endif // LOOM_INTERFACES_TD
