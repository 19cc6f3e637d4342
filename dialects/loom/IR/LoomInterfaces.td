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

#endif // LOOM_INTERFACES_TD
