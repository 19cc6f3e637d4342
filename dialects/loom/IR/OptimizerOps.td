//===- OptimizerOps.td - Parameter updates -----------------*- tablegen -*-===//
//
// The updates of one parameter, with torch.optim's semantics. Hyperparameters
// are runtime scalars: changing them never recompiles. `grad_scale`
// multiplies the gradient first (1, or the factor of gradient clipping).

def Loom_SgdUpdateOp : Loom_Op<"sgd_update",
    [AllTypesMatch<["param", "grad", "velocity", "new_param", "new_velocity"]>]> {
  let summary = "SGD with momentum, torch.optim.SGD semantics";
  let description = [{
    With `g' = grad_scale · g`: `v' = momentum · v + g'`, `p' = p − lr · v'`
    (dampening 0, not Nesterov, no weight decay). The step writes `p'` and
    `v'` back into the buffers of `p` and `v`.

    ```mlir
    %p2, %v2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %mu, scale %s : tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$param, Loom_F32Tensor:$grad,
                       Loom_F32Tensor:$velocity, F32:$lr, F32:$momentum,
                       F32:$grad_scale);
  let results = (outs Loom_F32Tensor:$new_param, Loom_F32Tensor:$new_velocity);
  let assemblyFormat = [{
    $param `,` $grad `,` $velocity `,` `lr` $lr `,` `momentum` $momentum `,`
    `scale` $grad_scale attr-dict `:` type($param)
  }];
}

def Loom_AdamwUpdateOp : Loom_Op<"adamw_update",
    [AllTypesMatch<["param", "grad", "exp_avg", "exp_avg_sq", "new_param",
                    "new_exp_avg", "new_exp_avg_sq"]>]> {
  let summary = "AdamW, torch.optim.AdamW semantics";
  let description = [{
    With `g' = grad_scale · g` and step `t` (from 1), in torch's order of
    operations: `p ← p·(1 − lr·weight_decay)`; `m ← m + (1 − β₁)(g' − m)`;
    `v ← β₂·v + (1 − β₂)·g'²`; `p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ)
    + ε)`. The bias corrections are computed once per step in double
    precision, as torch does.

    ```mlir
    %p2, %m2, %v2 = loom.adamw_update %p, %g, %m, %v, lr %lr, betas %b1, %b2, eps %eps, weight_decay %wd, step %t, scale %s : tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$param, Loom_F32Tensor:$grad,
                       Loom_F32Tensor:$exp_avg, Loom_F32Tensor:$exp_avg_sq,
                       F32:$lr, F32:$beta1, F32:$beta2, F32:$eps,
                       F32:$weight_decay, I64:$step, F32:$grad_scale);
  let results = (outs Loom_F32Tensor:$new_param, Loom_F32Tensor:$new_exp_avg,
                      Loom_F32Tensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` `lr` $lr `,` `betas`
    $beta1 `,` $beta2 `,` `eps` $eps `,` `weight_decay` $weight_decay `,`
    `step` $step `,` `scale` $grad_scale attr-dict `:` type($param)
  }];
}

def Loom_SumSquaresOp : Loom_Op<"sum_squares"> {
  let summary = "Σ x², the squared L2 norm of a tensor";
  let description = [{
    The part of the global gradient norm that gradient clipping needs from
    one gradient.

    ```mlir
    %s = loom.sum_squares %g : tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Loom_F32Tensor:$input);
  let results = (outs Loom_F32Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}
