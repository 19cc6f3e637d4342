//===- NormalizationOps.td - Layer norm and RMSNorm --------*- tablegen -*-===//

def Loom_LayerNormOp : Loom_DifferentiableOp<"layer_norm",
    [AllTypesMatch<["input", "result"]>, AllTypesMatch<["gain", "bias"]>,
     Loom_CheapToRecompute]> {
  let summary = "Layer normalization over the last dimension, with gain and bias";
  let description = [{
    `y = (x − mean(x)) / √(var(x) + ε) · gain + bias`, mean and (biased)
    variance over the last dimension of each row. Its gradient needs `x`
    and `gain`; the statistics are recomputed in the backward pass rather
    than stored.

    ```mlir
    %y = loom.layer_norm %x, %g, %b epsilon(1.0e-05) : tensor<4x64x768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, 1DTensorOf<[F32, F64]>:$gain,
                       1DTensorOf<[F32, F64]>:$bias, F32Attr:$epsilon);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gain `,` $bias `epsilon` `(` $epsilon `)` attr-dict `:` type($input) `,` type($gain)
  }];
  let hasVerifier = 1;
}

def Loom_RmsNormOp : Loom_DifferentiableOp<"rms_norm",
    [AllTypesMatch<["input", "result"]>, Loom_CheapToRecompute]> {
  let summary = "RMS normalization over the last dimension, with gain";
  let description = [{
    `y = x / √(mean(x²) + ε) · gain` over the last dimension of each row
    (Llama's RMSNorm). Its gradient needs `x` and `gain`.

    ```mlir
    %y = loom.rms_norm %x, %g epsilon(1.0e-06) : tensor<4x37x96xf32>, tensor<96xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, 1DTensorOf<[F32, F64]>:$gain,
                       F32Attr:$epsilon);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gain `epsilon` `(` $epsilon `)` attr-dict `:` type($input) `,` type($gain)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

def Loom_LayerNormGradOp : Loom_Op<"layer_norm_grad",
    [AllTypesMatch<["input", "output_grad", "input_grad"]>,
     AllTypesMatch<["gain", "gain_grad", "bias_grad"]>]> {
  let summary = "Adjoints of layer norm's input, gain and bias";
  let description = [{
    With `x̂ = (x − μ)·r`, `r = 1/√(var + ε)` recomputed from `x`:
    `dbias = Σ_rows dy`, `dgain = Σ_rows dy·x̂`, and with `g = dy·gain`,
    `dx = r·(g − mean(g) − x̂·mean(g·x̂))`.

    ```mlir
    %dx, %dg, %db = loom.layer_norm_grad %x, %g, %dy epsilon(1.0e-05) : tensor<4x64x768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, 1DTensorOf<[F32, F64]>:$gain,
                       Loom_FloatTensor:$output_grad, F32Attr:$epsilon);
  let results = (outs Loom_FloatTensor:$input_grad, 1DTensorOf<[F32, F64]>:$gain_grad,
                      1DTensorOf<[F32, F64]>:$bias_grad);
  let assemblyFormat = [{
    $input `,` $gain `,` $output_grad `epsilon` `(` $epsilon `)` attr-dict `:` type($input) `,` type($gain)
  }];
  let hasVerifier = 1;
}

def Loom_RmsNormGradOp : Loom_Op<"rms_norm_grad",
    [AllTypesMatch<["input", "output_grad", "input_grad"]>,
     AllTypesMatch<["gain", "gain_grad"]>]> {
  let summary = "Adjoints of RMSNorm's input and gain";
  let description = [{
    With `r = 1/√(mean(x²) + ε)` recomputed from `x`: `dgain = Σ_rows
    dy·x·r`, and with `g = dy·gain`, `dx = r·g − x·r³·mean(g·x)`.

    ```mlir
    %dx, %dg = loom.rms_norm_grad %x, %g, %dy epsilon(1.0e-06) : tensor<4x37x96xf32>, tensor<96xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, 1DTensorOf<[F32, F64]>:$gain,
                       Loom_FloatTensor:$output_grad, F32Attr:$epsilon);
  let results = (outs Loom_FloatTensor:$input_grad, 1DTensorOf<[F32, F64]>:$gain_grad);
  let assemblyFormat = [{
    $input `,` $gain `,` $output_grad `epsilon` `(` $epsilon `)` attr-dict `:` type($input) `,` type($gain)
  }];
  let hasVerifier = 1;
}
