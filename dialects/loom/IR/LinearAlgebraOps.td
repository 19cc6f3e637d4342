//===- LinearAlgebraOps.td - Matrix products ---------------*- tablegen -*-===//

def Loom_MatmulOp : Loom_DifferentiableOp<"matmul"> {
  let summary = "Matrix product over rows, optionally of transposed operands";
  let description = [{
    A product whose left operand may have batch-like leading dimensions,
    which act as rows (`[B, T, C] · [C, N] -> [B, T, N]`):

    | flags | lhs | rhs | result |
    |---|---|---|---|
    | none | `[L..., K]` | `[K, N]` | `[L..., N]`: `x · W` |
    | `transpose_rhs` | `[L..., N]` | `[K, N]` | `[L..., K]`: `x · Wᵀ` |
    | `transpose_lhs` | `[L..., K]` | `[L..., N]` | `[K, N]`: `xᵀ · y`, summed over all rows |
    | both | `[K, M]` | `[N, K]` | `[M, N]`: `Aᵀ · Bᵀ` (matrices only) |

    The gradient rules use the flags to express `dY·Wᵀ` and `Xᵀ·dY` without
    materializing a transpose.

    ```mlir
    %y = loom.matmul %x, %w : (tensor<4x64x96xf32>, tensor<96x288xf32>) -> tensor<4x64x288xf32>
    %dw = loom.matmul %x, %dy {transpose_lhs} : (tensor<4x64x96xf32>, tensor<4x64x288xf32>) -> tensor<96x288xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$lhs, Loom_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}
