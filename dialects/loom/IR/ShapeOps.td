//===- ShapeOps.td - Embedding lookups and slices ----------*- tablegen -*-===//

def Loom_EmbeddingOp : Loom_DifferentiableOp<"embedding"> {
  let summary = "Rows of a table gathered by index";
  let description = [{
    `result[l..., c] = table[ids[l...], c]`: token embeddings. Ids must lie
    in `[0, V)`; the runtime checks every id of its data before training.
    The table's adjoint is a scatter-add of the output's adjoint
    (`embedding_grad`).

    ```mlir
    %x = loom.embedding %wte, %idx : (tensor<50257x768xf32>, tensor<4x64xi32>) -> tensor<4x64x768xf32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[F32, F64]>:$table, Loom_I32Tensor:$ids);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$table `,` $ids attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_SliceOp : Loom_DifferentiableOp<"slice"> {
  let summary = "A contiguous range of one dimension";
  let description = [{
    `result = input[..., offset : offset + size, ...]` along dimension
    `dim`, `size` being the result's extent there: the query, key and value
    parts of a packed projection, or the first `T` rows of a learned
    position table. In the inference entry points a slice of the position
    table starts at a run-time `position` added to `offset` (the caller
    guarantees that it stays inside the table). Its adjoint places the adjoint of the result back at
    `offset` in zeros (`slice_grad`).

    ```mlir
    %k = loom.slice %qkv dim(2) offset(96) : (tensor<4x37x288xf32>) -> tensor<4x37x96xf32>
    %p = loom.slice %wpe dim(0) offset(0) at %pos : (tensor<1024x768xf32>) -> tensor<1x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, I64Attr:$dim, I64Attr:$offset,
                       Optional<Index>:$position);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `dim` `(` $dim `)` `offset` `(` $offset `)` (`at` $position^)? attr-dict `:` functional-type($input, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

def Loom_EmbeddingGradOp : Loom_Op<"embedding_grad"> {
  let summary = "Scatter-add of rows into a table of zeros";
  let description = [{
    `result[v, c] = Σ_{l : ids[l] = v} output_grad[l, c]`, the adjoint of
    an embedding table; rows that no id selects are zero.

    ```mlir
    %dwte = loom.embedding_grad %idx, %dx : (tensor<4x64xi32>, tensor<4x64x768xf32>) -> tensor<50257x768xf32>
    ```
  }];
  let arguments = (ins Loom_I32Tensor:$ids, Loom_FloatTensor:$output_grad);
  let results = (outs 2DTensorOf<[F32, F64]>:$result);
  let assemblyFormat = "$ids `,` $output_grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_SliceGradOp : Loom_Op<"slice_grad"> {
  let summary = "A tensor of zeros with one range of one dimension filled";
  let description = [{
    The adjoint of `loom.slice`: `output_grad` placed at `offset` along
    `dim` in zeros of the result's (the sliced input's) shape.

    ```mlir
    %dqkv = loom.slice_grad %dk dim(2) offset(96) : (tensor<4x37x96xf32>) -> tensor<4x37x288xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$output_grad, I64Attr:$dim, I64Attr:$offset,
                       Optional<Index>:$position);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $output_grad `dim` `(` $dim `)` `offset` `(` $offset `)` (`at` $position^)? attr-dict `:` functional-type($output_grad, results)
  }];
  let hasVerifier = 1;
}
