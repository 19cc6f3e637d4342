//===- LoomBase.td - The loom dialect and its base op class -*- tablegen -*-===//

#ifndef LOOM_BASE_TD
#define LOOM_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Loom_Dialect : Dialect {
  let name = "loom";
  let cppNamespace = "::mlir::loom";
  let summary = "Parameterized tensor ops of a model and its training step";
  let description = [{
    The `loom` dialect holds a model as a graph of tensor ops on static shapes:
    the forward computation that ends in a scalar loss, the gradient ops that
    reverse-mode autodiff derives from it, the optimizer updates of a training
    step, and the fused ops that the fusion pass forms. Parameters and inputs
    are arguments of the enclosing function, named by `loom.param` and
    `loom.input` argument attributes. Every `loom.*` attribute on an
    argument, a function, the module or an op of any dialect is one of
    those listed in `DiscardableAttributes.h`, which the dialect verifies.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();

    // The op of each activation kind (ActivationOpInterface), indexed by
    // the kind's value; empty for `none`. Filled once the ops are added.
    ::llvm::SmallVector<::std::optional<::mlir::RegisteredOperationName>>
        activationOps;
  }];
  // Every loom.* attribute is checked against DiscardableAttributes.h.
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
}

def Loom_SameFloatElementType : NativeOpTrait<"SameFloatElementType"> {
  let cppNamespace = "::mlir::OpTrait::loom";
}

// `scalar` is a 0-d tensor of `tensor`'s element type.
class Loom_ScalarOfElementType<string tensor, string scalar>
    : TypesMatchWith<scalar # " has " # tensor # "'s element type", tensor, scalar,
                     "::mlir::RankedTensorType::get({}, ::mlir::getElementTypeOrSelf($_self))">;

// Every loom op but the runtime's (RuntimeOps.td) is free of side effects on
// memory: it reads its operands and produces new tensors.
class Loom_Op<string mnemonic, list<Trait> traits = []>
    : Op<Loom_Dialect, mnemonic,
         !listconcat(traits, [Pure, Loom_SameFloatElementType])>;

// Every floating-point tensor an op reads or writes has one element type:
// f32, or f64 inside an `--precision=fp64` build's entry points
// (-loom-compute-in-f64). Checked for every op by Loom_Op's
// Loom_SameFloatElementType.
def Loom_FloatTensor : RankedTensorOf<[F32, F64]>;
def Loom_FloatMatrix : 2DTensorOf<[F32, F64]>;
// A loss or another scalar, `tensor<f32>` or `tensor<f64>`: never spelt out
// in an op's assembly, but inferred from a tensor operand
// (Loom_ScalarOfElementType).
def Loom_FloatScalar : 0DTensorOf<[F32, F64]>;
// The optimizer's operands: the f32 masters, gradients and state, in every
// build.
def Loom_F32Tensor : RankedTensorOf<[F32]>;
def Loom_F32Scalar : 0DTensorOf<[F32]> {
  let builderCall = "::mlir::RankedTensorType::get({}, $_builder.getF32Type())";
}
def Loom_I32Tensor : RankedTensorOf<[I32]>;

#endif // LOOM_BASE_TD
