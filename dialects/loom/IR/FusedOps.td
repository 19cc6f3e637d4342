//===- FusedOps.td - Ops formed by -loom-fuse-linear -------*- tablegen -*-===//

def Loom_FusedLinearOp : Loom_Op<"fused_linear", [AttrSizedOperandSegments]> {
  let summary = "act(x · W + b) + r computed tile by tile";
  let description = [{
    The forward chain `matmul → add bias → activation → add residual` as
    one op: bias, activation and residual are applied to each tile of the
    product while it is in registers. `input` is `[L..., K]` (leading
    dimensions are rows); the weight is `[K, N]`, or `[N, K]` with
    `transpose_weight` (Hugging Face Llama's `[out, in]` layout). `bias` is
    optional; `activation` may be `none`; `residual`, optional, has the
    output's type (a transformer block's residual stream `x + proj(·)`).
    When the backward pass needs the pre-activation value (GELU, SiLU), it
    is the second result, written by the same loop nest.

    ```mlir
    %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<256x64xf32>, tensor<64x128xf32>, tensor<128xf32>) -> (tensor<256x128xf32>, tensor<256x128xf32>)
    %h = loom.fused_linear none %x, %w, %b residual %r : (tensor<256x64xf32>, tensor<64x128xf32>, tensor<128xf32>, tensor<256x128xf32>) -> tensor<256x128xf32>
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation, Loom_FloatTensor:$input,
                       Loom_FloatMatrix:$weight, Optional<1DTensorOf<[F32, F64]>>:$bias,
                       Optional<Loom_FloatTensor>:$residual,
                       UnitAttr:$transpose_weight);
  let results = (outs Loom_FloatTensor:$output, Optional<Loom_FloatTensor>:$pre_activation);
  let assemblyFormat = [{
    custom<Activation>($activation) $input `,` $weight (`,` $bias^)? (`residual` $residual^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    // The [K, N] of x · op(W).
    std::pair<int64_t, int64_t> getWeightShape();
  }];
}

def Loom_FusedLinearGradOp : Loom_Op<"fused_linear_grad", [AttrSizedOperandSegments]> {
  let summary = "All adjoints of a linear layer in one op";
  let description = [{
    With `dz = dy · act'(saved)` (the activation derivative, computed in the
    same pass over `dy` as the bias reduction):
    `dweight = xᵀ · dz` (or `dzᵀ · x` with `transpose_weight`);
    `dinput = dz · op(W)ᵀ` when `weight` is given (it is only needed for
    that); `dbias = Σ_rows dz` when `with_bias`. `saved` is the
    pre-activation for `gelu`, `gelu_erf` and `silu`, the output for `relu`
    and `tanh`, and absent for `none`. The results are, in order: `dinput`
    if `weight` is given, `dweight`, `dbias` if `with_bias`.

    ```mlir
    %dx, %dw, %db = loom.fused_linear_grad gelu %dy, %x weight %w saved %pre {with_bias} : (tensor<256x128xf32>, tensor<256x64xf32>, tensor<64x128xf32>, tensor<256x128xf32>) -> (tensor<256x64xf32>, tensor<64x128xf32>, tensor<128xf32>)
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation,
                       Loom_FloatTensor:$output_grad, Loom_FloatTensor:$input,
                       Optional<Loom_FloatMatrix>:$weight,
                       Optional<Loom_FloatTensor>:$saved, UnitAttr:$with_bias,
                       UnitAttr:$transpose_weight);
  let results = (outs Variadic<Loom_FloatTensor>:$grads);
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
