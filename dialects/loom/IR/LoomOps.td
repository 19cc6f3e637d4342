//===- LoomOps.td - Ops of the loom dialect ----------------*- tablegen -*-===//
//
// The ops come in four families, in this order: forward ops (each with a
// gradient rule), the gradient ops those rules emit, optimizer updates, and the
// fused ops formed by the fusion pass. Shapes are static throughout.
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

//===----------------------------------------------------------------------===//
// Forward ops
//===----------------------------------------------------------------------===//

def Loom_MatmulOp : Loom_DifferentiableOp<"matmul"> {
  let summary = "Matrix product, optionally of transposed operands";
  let description = [{
    `result = op(lhs) · op(rhs)` where `op` transposes its operand when
    `transpose_lhs` / `transpose_rhs` is set. The gradient rules of matmul
    use the flags to express `dY·Wᵀ` and `Xᵀ·dY` without materializing a
    transpose.

    ```mlir
    %y = loom.matmul %x, %w : (tensor<256x64xf32>, tensor<64x128xf32>) -> tensor<256x128xf32>
    %dx = loom.matmul %dy, %w {transpose_rhs} : (tensor<256x128xf32>, tensor<64x128xf32>) -> tensor<256x64xf32>
    ```
  }];
  let arguments = (ins Loom_F32Matrix:$lhs, Loom_F32Matrix:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Loom_F32Matrix:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_AddOp : Loom_DifferentiableOp<"add"> {
  let summary = "Elementwise sum, broadcasting the lower-rank operand";
  let description = [{
    `result = lhs + rhs`. When the ranks differ, the lower-rank operand's
    shape must equal the trailing dimensions of the other's, and it is
    broadcast along the leading ones (a bias `[N]` added to activations
    `[M, N]`). Its adjoint is then summed over the broadcast dimensions.

    ```mlir
    %y = loom.add %xw, %b : (tensor<256x128xf32>, tensor<128xf32>) -> tensor<256x128xf32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$lhs, Loom_F32Tensor:$rhs);
  let results = (outs Loom_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class Loom_ActivationOp<string mnemonic, string formula>
    : Loom_DifferentiableOp<mnemonic, [Elementwise, SameOperandsAndResultType]> {
  let summary = "Elementwise " # formula;
  let arguments = (ins Loom_F32Tensor:$input);
  let results = (outs Loom_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let extraClassDeclaration = [{
    // The activation this op applies, as named by the fused ops.
    ::mlir::loom::Activation getActivation();
  }];
}

def Loom_GeluOp : Loom_ActivationOp<"gelu",
    "GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))"> {
  let description = [{
    ```mlir
    %y = loom.gelu %x : tensor<256x128xf32>
    ```
    Its gradient needs the input `x`, which is kept from the forward pass.
  }];
}

def Loom_ReluOp : Loom_ActivationOp<"relu", "max(x, 0)"> {
  let description = [{
    ```mlir
    %y = loom.relu %x : tensor<256x128xf32>
    ```
    Its gradient needs only the output (`y > 0` exactly where `x > 0`).
  }];
}

def Loom_TanhOp : Loom_ActivationOp<"tanh", "tanh(x)"> {
  let description = [{
    ```mlir
    %y = loom.tanh %x : tensor<256x128xf32>
    ```
    Its gradient needs only the output: `dx = dy·(1 − y²)`.
  }];
}

def Loom_CrossEntropyOp : Loom_DifferentiableOp<"cross_entropy"> {
  let summary = "Mean softmax cross-entropy of class logits against labels";
  let description = [{
    `loss = mean_i (logsumexp(logits[i, :]) − logits[i, labels[i]])` over the
    `N` rows of `logits [N, C]`; `labels [N]` are class indices in `[0, C)`.
    The softmax is never materialized in the forward pass.

    ```mlir
    %loss = loom.cross_entropy %logits, %labels : (tensor<256x10xf32>, tensor<256xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Loom_F32Matrix:$logits, 1DTensorOf<[I32]>:$labels);
  let results = (outs Loom_F32Scalar:$loss);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_MseOp : Loom_DifferentiableOp<"mse"> {
  let summary = "Mean squared error";
  let description = [{
    `loss = mean((prediction − target)²)` over all elements.

    ```mlir
    %loss = loom.mse %y, %target : (tensor<256x4xf32>, tensor<256x4xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$prediction, Loom_F32Tensor:$target);
  let results = (outs Loom_F32Scalar:$loss);
  let assemblyFormat = "$prediction `,` $target attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gradient ops: emitted by gradient rules, not differentiated themselves.
//===----------------------------------------------------------------------===//

def Loom_ActivationGradOp : Loom_Op<"activation_grad",
    [AllTypesMatch<["saved", "output_grad", "result"]>]> {
  let summary = "Adjoint of an activation's input: dy · f'(x)";
  let description = [{
    `saved` is what the activation's gradient needs from the forward pass:
    its input `x` for `gelu`, its output `y` for `relu` and `tanh`.

    ```mlir
    %dx = loom.activation_grad gelu %x, %dy : tensor<256x128xf32>
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation, Loom_F32Tensor:$saved,
                       Loom_F32Tensor:$output_grad);
  let results = (outs Loom_F32Tensor:$result);
  let assemblyFormat =
      "custom<Activation>($activation) $saved `,` $output_grad attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Loom_ReduceSumOp : Loom_Op<"reduce_sum"> {
  let summary = "Sum over leading dimensions";
  let description = [{
    Sums `input` over its leading dimensions so that the result has the
    shape of its trailing ones: the adjoint of a broadcast operand of
    `loom.add` (a bias gradient `db[n] = Σ_m dy[m, n]`).

    ```mlir
    %db = loom.reduce_sum %dy : (tensor<256x128xf32>) -> tensor<128xf32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$input);
  let results = (outs Loom_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_CrossEntropyGradOp : Loom_Op<"cross_entropy_grad"> {
  let summary = "Adjoint of cross-entropy's logits: (softmax − onehot) · dloss / N";
  let description = [{
    ```mlir
    %dlogits = loom.cross_entropy_grad %logits, %labels, %dloss : (tensor<256x10xf32>, tensor<256xi32>, tensor<f32>) -> tensor<256x10xf32>
    ```
  }];
  let arguments = (ins Loom_F32Matrix:$logits, 1DTensorOf<[I32]>:$labels,
                       Loom_F32Scalar:$loss_grad);
  let results = (outs Loom_F32Matrix:$result);
  let assemblyFormat = "$logits `,` $labels `,` $loss_grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_MseGradOp : Loom_Op<"mse_grad"> {
  let summary = "Adjoint of mse's prediction: 2 · (prediction − target) · dloss / numel";
  let description = [{
    ```mlir
    %dy = loom.mse_grad %y, %target, %dloss : (tensor<256x4xf32>, tensor<256x4xf32>, tensor<f32>) -> tensor<256x4xf32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$prediction, Loom_F32Tensor:$target,
                       Loom_F32Scalar:$loss_grad);
  let results = (outs Loom_F32Tensor:$result);
  let assemblyFormat = "$prediction `,` $target `,` $loss_grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_ZerosOp : Loom_Op<"zeros"> {
  let summary = "A tensor of zeros";
  let description = [{
    The gradient of a parameter that does not influence the loss.

    ```mlir
    %z = loom.zeros : tensor<64x128xf32>
    ```
  }];
  let results = (outs Loom_F32Tensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

def Loom_SgdUpdateOp : Loom_Op<"sgd_update",
    [AllTypesMatch<["param", "grad", "velocity", "new_param", "new_velocity"]>]> {
  let summary = "SGD with momentum, torch.optim.SGD semantics";
  let description = [{
    `v' = momentum · v + g`, `p' = p − lr · v'` (dampening 0, not Nesterov).
    `lr` and `momentum` are runtime values: changing them never recompiles.
    The training step writes `p'` and `v'` back into the buffers of `p` and
    `v`.

    ```mlir
    %p2, %v2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %mu : tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$param, Loom_F32Tensor:$grad,
                       Loom_F32Tensor:$velocity, F32:$lr, F32:$momentum);
  let results = (outs Loom_F32Tensor:$new_param, Loom_F32Tensor:$new_velocity);
  let assemblyFormat = [{
    $param `,` $grad `,` $velocity `,` `lr` $lr `,` `momentum` $momentum
    attr-dict `:` type($param)
  }];
}

//===----------------------------------------------------------------------===//
// Fused ops, formed by -loom-fuse-linear
//===----------------------------------------------------------------------===//

def Loom_FusedLinearOp : Loom_Op<"fused_linear"> {
  let summary = "act(x · W + b) computed tile by tile";
  let description = [{
    The forward chain `matmul → add bias → activation` as one op: bias and
    activation are applied to each tile of the product while it is in
    registers or cache. `bias` is optional; `activation` may be `none`.
    When the backward pass needs the pre-activation value (GELU), it is the
    second result, written by the same loop nest.

    ```mlir
    %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<256x64xf32>, tensor<64x128xf32>, tensor<128xf32>) -> (tensor<256x128xf32>, tensor<256x128xf32>)
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation, Loom_F32Matrix:$input,
                       Loom_F32Matrix:$weight, Optional<1DTensorOf<[F32]>>:$bias);
  let results = (outs Loom_F32Matrix:$output, Optional<Loom_F32Matrix>:$pre_activation);
  let assemblyFormat = [{
    custom<Activation>($activation) $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_FusedLinearGradOp : Loom_Op<"fused_linear_grad", [AttrSizedOperandSegments]> {
  let summary = "All adjoints of a linear layer in one op";
  let description = [{
    With `dz = dy · act'(saved)` (the activation derivative, computed in the
    same pass over `dy` as the bias reduction):
    `dweight = xᵀ · dz`; `dinput = dz · Wᵀ` when `weight` is given (it is
    only needed for that); `dbias = Σ_rows dz` when `with_bias`. `saved` is
    the pre-activation for `gelu`, the output for `relu` and `tanh`, and
    absent for `none`. The results are, in order: `dinput` if `weight` is
    given, `dweight`, `dbias` if `with_bias`.

    ```mlir
    %dx, %dw, %db = loom.fused_linear_grad gelu %dy, %x weight %w saved %pre {with_bias} : (tensor<256x128xf32>, tensor<256x64xf32>, tensor<64x128xf32>, tensor<256x128xf32>) -> (tensor<256x64xf32>, tensor<64x128xf32>, tensor<128xf32>)
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation,
                       Loom_F32Matrix:$output_grad, Loom_F32Matrix:$input,
                       Optional<Loom_F32Matrix>:$weight,
                       Optional<Loom_F32Matrix>:$saved, UnitAttr:$with_bias);
  let results = (outs Variadic<Loom_F32Tensor>:$grads);
  let assemblyFormat = [{
    custom<Activation>($activation) $output_grad `,` $input
    (`weight` $weight^)? (`saved` $saved^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    // Null when the op does not compute that adjoint.
    ::mlir::Value getInputGrad();
    ::mlir::Value getWeightGrad();
    ::mlir::Value getBiasGrad();
  }];
}

#endif // LOOM_OPS_TD
