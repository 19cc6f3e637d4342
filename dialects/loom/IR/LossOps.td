//===- LossOps.td - Scalar losses --------------------------*- tablegen -*-===//

def Loom_CrossEntropyOp : Loom_DifferentiableOp<"cross_entropy",
    [Loom_ScalarOfElementType<"logits", "loss">]> {
  let summary = "Mean softmax cross-entropy of class logits against labels";
  let description = [{
    `loss = mean_i (logsumexp(logits[i, :]) − logits[i, labels[i]])` over
    all rows `i` of `logits [L..., C]` (leading dimensions are rows, `[B, T,
    vocab]` for a language model); `labels [L...]` are class indices in
    `[0, C)`. The softmax is never materialized in the forward pass, and
    the backward pass writes its adjoint `softmax − onehot` once.

    ```mlir
    %loss = loom.cross_entropy %logits, %labels : tensor<256x10xf32>, tensor<256xi32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$logits, Loom_I32Tensor:$labels);
  let results = (outs Loom_FloatScalar:$loss);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` type($logits) `,` type($labels)";
  let hasVerifier = 1;
}

def Loom_MseOp : Loom_DifferentiableOp<"mse",
    [AllTypesMatch<["prediction", "target"]>,
     Loom_ScalarOfElementType<"prediction", "loss">]> {
  let summary = "Mean squared error";
  let description = [{
    `loss = mean((prediction − target)²)` over all elements.

    ```mlir
    %loss = loom.mse %y, %target : tensor<256x4xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$prediction, Loom_FloatTensor:$target);
  let results = (outs Loom_FloatScalar:$loss);
  let assemblyFormat = "$prediction `,` $target attr-dict `:` type($prediction)";
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

def Loom_CrossEntropyGradOp : Loom_Op<"cross_entropy_grad",
    [AllTypesMatch<["logits", "result"]>,
     Loom_ScalarOfElementType<"logits", "loss_grad">]> {
  let summary = "Adjoint of cross-entropy's logits: (softmax − onehot) · dloss / N";
  let description = [{
    `N` is the number of rows.

    ```mlir
    %dlogits = loom.cross_entropy_grad %logits, %labels, %dloss : tensor<256x10xf32>, tensor<256xi32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$logits, Loom_I32Tensor:$labels,
                       Loom_FloatScalar:$loss_grad);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$logits `,` $labels `,` $loss_grad attr-dict `:` type($logits) `,` type($labels)";
  let hasVerifier = 1;
}

def Loom_MseGradOp : Loom_Op<"mse_grad",
    [AllTypesMatch<["prediction", "target", "result"]>,
     Loom_ScalarOfElementType<"prediction", "loss_grad">]> {
  let summary = "Adjoint of mse's prediction: 2 · (prediction − target) · dloss / numel";
  let description = [{
    ```mlir
    %dy = loom.mse_grad %y, %target, %dloss : tensor<256x4xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$prediction, Loom_FloatTensor:$target,
                       Loom_FloatScalar:$loss_grad);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$prediction `,` $target `,` $loss_grad attr-dict `:` type($prediction)";
}
