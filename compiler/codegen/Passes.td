//===- Passes.td - Lowering loom to native code ------------*- tablegen -*-===//
//
// Organization: the passes run in the order they appear here, between the
// loom-level passes (autodiff, train step, fusion) and upstream MLIR's
// bufferization and conversion to the llvm dialect; compiler/pipeline builds
// the whole sequence.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_CODEGEN_PASSES_TD
#define LOOM_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomLowerToLinalgPass : Pass<"loom-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower loom ops to linalg, tensor and arith ops on tensors";
  let description = [{
    Each loom op becomes destination-style linalg ops on tensors:
    `loom.matmul` a `linalg.matmul` (a transposed right operand is first
    transposed into a packed copy, so the product reads both operands along
    rows), elementwise ops and their gradients `linalg.generic`s, reductions
    `linalg.generic`s with reduction iterators, and `loom.sgd_update` one
    generic that updates parameter and velocity in the parameter's and the
    velocity's own tensors.

    A fused op becomes the same linalg ops as its unfused chain, with the
    same scalar arithmetic in the same order (so fused and unfused builds
    compute the same numbers), marked with a common `loom.fusion_group`
    attribute: `fused_linear` is a `linalg.matmul` whose consumer generic
    adds the bias and applies the activation, and `fused_linear_grad` one
    generic that computes the activation derivative and the bias gradient
    in a single pass, followed by the two gradient products.
    -loom-tile-and-vectorize fuses the ops of a group into one loop nest and
    never fuses across groups.
  }];
  let options = [
    Option<"profile", "profile", "bool", "false",
           "Bracket the ops lowered from each loom op with calls to "
           "loom_profile_begin/end(index), and list the ops, in order of "
           "index, in the module attribute loom.profiled_ops">,
    Option<"bf16Products", "bf16-products", "bool", "false",
           "Matrix products (matmul, fused_linear, fused_linear_grad; not "
           "attention's) read bf16 copies of their operands and accumulate "
           "in f32 (--precision=bf16)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::func::FuncDialect"];
}

def LoomTileAndVectorizePass : Pass<"loom-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops into parallel loop nests of vector code";
  let description = [{
    For every linalg op on tensors (the root of its fusion group when it has
    one):

    1. Tile the parallel dimensions with `scf.forall` into blocks that run
       on separate threads, fusing the producers of the same fusion group
       (and the `linalg.fill` that zeroes a product's accumulator) into the
       block.
    2. Tile each block into register tiles (`rows x vector-width` for a
       matmul) with `scf.for`, again fusing the group's producers, so a
       matmul's epilogue runs on the register tile right after its last
       reduction step; reduction dimensions become sequential `scf.for`
       loops. Loops whose trip count does not divide are peeled, so every
       tile has a static shape.
    3. Vectorize every tile and hoist the accumulator of each reduction loop
       into registers.

    The sizes come from the tiling policy's rules for the target (the
    options), except for a product carrying a tiling chosen for its shape
    (`loom.tiling = array<i64: block rows, block columns, register rows,
    register columns, reduction block>`, which `loomc --tune` measures and
    -loom-apply-tuning sets): its blocks, its register tiles and its k
    blocks are those, and a malformed one is an error.

    A lowering that builds its own thread blocks (an `scf.forall` marked
    `loom.thread_block`: attention, one iteration per head) keeps them: the
    linalg ops inside are tiled into register tiles only, in the loops the
    lowering wrote.

    `matmul + bias + gelu` of one fusion group thus becomes one loop nest
    whose innermost tile accumulates `x·W` in vector registers and applies
    bias and GELU to them before its only store.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes of the widest vector register (16: AVX-512, 8: AVX2)">,
    Option<"registerRows", "register-rows", "int64_t", "8",
           "Rows of a matmul register tile">,
    Option<"registerVectors", "register-vectors", "int64_t", "2",
           "Vectors per row of a matmul register tile">,
    Option<"amxTiles", "amx-tiles", "bool", "false",
           "Register tiles of bf16 products over pairs are AMX tiles: 16 "
           "rows x 16 columns, 16 pairs of k at a time">,
    Option<"reductionBlock", "reduction-block", "int64_t", "256",
           "The k extent of a long product's thread blocks">,
    Option<"threads", "threads", "int64_t", "1",
           "The threads that share a product's blocks (each gets one at least)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect"];
}

def LoomApplyTuningPass : Pass<"loom-apply-tuning", "::mlir::ModuleOp"> {
  let summary = "Give products the tilings a tuning table measured for their shapes";
  let description = [{
    Reads a tuning table (docs/tuning.md; `loomc --tune` writes it) and
    sets `loom.tiling` on every product at the top of a function whose
    shape ("f32 256x768x3072 A.B^T") it has; -loom-tile-and-vectorize
    then applies those tilings, and its rules to the other products. A
    table that cannot be read is an error naming the file and the entry.
  }];
  let options = [
    Option<"file", "file", "std::string", "", "The tuning table (JSON)">,
  ];
}

def LoomLowerVectorsPass : Pass<"loom-lower-vectors", "::mlir::func::FuncOp"> {
  let summary = "Lower vector contractions, transfers and math to FMA-ready ops";
  let description = [{
    After bufferization: `vector.contract` becomes outer products and then
    FMAs, multi-dimensional transfers and reductions become 1-D ones, and
    `math.tanh`, `math.exp`, `math.log`, `math.erf` become polynomial approximations
    that vectorize (libm calls would not). A bf16 product's contraction of
    one k pair becomes AVX512-BF16 dot products (`x86vector.avx512.dot`,
    Bf16DotProducts.cpp).
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::amx::AMXDialect",
                           "::mlir::x86vector::X86VectorDialect"];
  let options = [
    Option<"amxTiles", "amx-tiles", "bool", "false",
           "Contractions of bf16 pairs shaped as AMX tiles become AMX tile "
           "loads, products and stores (-convert-vector-to-amx's patterns)">,
  ];
}

def LoomExpandStridedCopiesPass : Pass<"loom-expand-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Turn copies between non-contiguous buffers into linalg.copy";
  let description = [{
    After bufferization, `memref.copy` between two statically shaped,
    contiguous row-major buffers lowers to one `memcpy`; any other copy (into a strided view such
    as a column range of a packed q/k/v gradient) would lower to a call of
    MLIR's `memrefCopy` runtime routine, which a generated executable does
    not link. Such copies become `linalg.copy`, which the loop lowering
    turns into plain loops:

    ```mlir
    memref.copy %a, %view : memref<2x5x8xf32> to memref<2x5x8xf32, strided<[120, 24, 1], offset: 16>>
    // =>
    linalg.copy ins(%a : memref<2x5x8xf32>) outs(%view : memref<2x5x8xf32, strided<[120, 24, 1], offset: 16>>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LoomHoistStackBuffersPass : Pass<"loom-hoist-stack-buffers", "::mlir::func::FuncOp"> {
  let summary = "Allocate loop-invariant stack buffers once per thread";
  let description = [{
    After the OpenMP conversion: every statically shaped `memref.alloca`
    (outside a `memref.alloca_scope`) moves to the entry block of its
    `omp.parallel` region, or of the function when it is in none. An alloca
    left inside a loop would allocate again at every iteration (LLVM keeps
    only entry-block allocas as fixed slots); the AMX tiles' accumulator
    buffers are such allocas. A buffer in a parallel region stays one per
    thread.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def LoomReshapeDestinationsPass : Pass<"loom-reshape-destinations", "::mlir::func::FuncOp"> {
  let summary = "Move a reshape from a written value to its destination";
  let description = [{
    Before empty-tensor elimination: every `materialize_in_destination` of
    a reshape (`tensor.expand_shape` or `tensor.collapse_shape`, static
    shapes) into a tensor destination becomes a write of the reshape's
    source into the inversely reshaped destination, and the reshape is
    applied to the write's result instead:

    ```mlir
    %e = tensor.expand_shape %x [[0, 1], [2]] output_shape [8, 128, 256]
    %r = bufferization.materialize_in_destination %e in %dest
    // =>
    %d = tensor.collapse_shape %dest [[0, 1], [2]]
    %w = bufferization.materialize_in_destination %x in %d
    %r = tensor.expand_shape %w [[0, 1], [2]] output_shape [8, 128, 256]
    ```

    The elimination then finds the tensor.empty that %x was computed into
    (of %x's shape) and computes %x in a view of the destination, instead
    of a copy at the end: a repeated block's function writes most of what
    it saves for the backward pass this way (-loom-outline-blocks). Writes
    into memref destinations (gradients) are left alone.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def LoomOrderConstantGlobalsPass : Pass<"loom-order-constant-globals", "::mlir::ModuleOp"> {
  let summary = "Name and place bufferization's constant globals in the order the module reads them";
  let description = [{
    One-Shot Bufferize turns each tensor constant into a `memref.global`
    named after its type (`@__constant_37x16xf32`, then `_0`, `_1`, ...
    for further ones of the same type), in the order it bufferizes the
    module's functions -- which, for functions that do not call each other,
    changes from run to run. Two runs of loomc on the same model then
    gave different IR (Llama's rotary tables). This pass gives those
    globals the same names in the order of the module's first
    `memref.get_global` of each, and places them in that order where the
    first of them stood:

    ```mlir
    memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense<2.0>
    memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense<1.0>
    func.func @f() { %a = memref.get_global @__constant_4xf32 ... %b = memref.get_global @__constant_4xf32_0 ... }
    // =>
    memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense<1.0>
    memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense<2.0>
    ```

    Other globals, and constants nothing reads, stay as they are.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def LoomPlanMemoryPass : Pass<"loom-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Place a function's temporary buffers in one arena, reused by liveness";
  let description = [{
    After bufferization and buffer deallocation: every `memref.alloc` in a
    function's body that one `memref.dealloc` in the body frees, and that
    does not escape, becomes a `memref.view` at a fixed offset of one arena,
    allocated at the start of the function and freed before its return.
    Buffers whose lifetimes (from the alloc to the last op of the body that
    uses the buffer or a view of it) do not overlap may share addresses.
    Offsets are 64-byte aligned and chosen greedily, largest buffer first.

    ```mlir
    %a = memref.alloc() : memref<256xf32>   ...   memref.dealloc %a
    %b = memref.alloc() : memref<256xf32>   ...   memref.dealloc %b
    // =>
    %arena = memref.alloc() {alignment = 64} : memref<1024xi8>
    %a = memref.view %arena[%c0][] : memref<1024xi8> to memref<256xf32>
    %b = memref.view %arena[%c0][] : memref<1024xi8> to memref<256xf32>
    memref.dealloc %arena
    ```

    The function records the plan in attributes that loomc reports:
    `loom.arena_bytes` (the arena: the function's peak of temporary
    memory), `loom.arena_buffers`, `loom.arena_lower_bound_bytes` (the most
    bytes ever live at once: no placement needs less),
    `loom.unplanned_bytes` (the sum of all buffers: what separate
    allocations would hold if none were freed), `loom.allocs_left`
    (allocations the arena cannot hold, such as packing workspaces inside
    parallel loops, left to malloc) and `loom.largest_left_bytes` (the
    largest of those; 0 when dynamically shaped).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def LoomLowerGradientReadyPass : Pass<"loom-lower-gradient-ready", "::mlir::func::FuncOp"> {
  let summary = "Call the runtime once a gradient's buffer is written and read no more";
  let description = [{
    After bufferization: each `loom.gradient_ready %buf` moves after the
    last op of the function's body that accesses `%buf` or a view of it
    (accesses inside loops count at the loop), and becomes a call of the
    runtime's `loom_gradient_ready(g)`, `g` being `%buf`'s position among
    the function's gradient buffers:

    ```mlir
    loom.gradient_ready %dw : memref<4x3xf32>
    scf.forall ... { vector.transfer_write %v, %dw[...] ... }
    memref.copy %dw, %scratch : memref<4x3xf32> to memref<4x3xf32>
    // =>
    scf.forall ... { vector.transfer_write %v, %dw[...] ... }
    memref.copy %dw, %scratch : memref<4x3xf32> to memref<4x3xf32>
    %c1 = arith.constant 1 : i32
    func.call @loom_gradient_ready(%c1) : (i32) -> ()
    ```

    -loom-build-train-step puts the op where the gradient's value is
    complete, which is where its buffer is final when bufferization
    computes the value in place (every gradient of GPT-2). When it instead
    computes it elsewhere and copies it in, or uses the buffer as scratch
    for another value (one-shot bufferization may, since in tensor terms
    the buffer is only written at the function's end, and does so when
    CSE left several same-shaped products one accumulator: 5 of a small
    Llama's 21 gradients), the call moves after that. So the runtime never
    reduces a buffer the backward pass still writes or reads.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def LoomRollRepeatedCallsPass : Pass<"loom-roll-repeated-calls", "::mlir::ModuleOp"> {
  let summary = "Turn the calls of a repeated block, one per layer, into a loop";
  let description = [{
    After bufferization, memory planning and -loom-lower-gradient-ready,
    in the body of every public (entry) function: a run of two or more
    consecutive stretches of ops that each end in a call of one function
    and differ only in

    - constants (the arena offsets of the layer's saved activations, the
      gradient numbers of loom_gradient_ready): read from a constant
      table, `memref.global` `@<function>.layers.N`, one entry per stretch;
    - the function's buffer arguments (the layer's parameters, gradients,
      optimizer state): `loom.table_buffer` of the runtime's table
      (abi.h's `buffers`), at the positions in a constant table of their
      `loom.table_index`; the function gets the runtime's table as a last
      argument, marked `loom.buffer_table`;

    becomes one `scf.for` over the stretches, whose body is the first
    stretch with those operands read from the tables. The calls of a
    repeated block (-loom-outline-blocks) then cost their caller one call
    and its arguments, whatever the depth; so do the optimizer's per-shape
    kernels, one stretch per layer.

    ```mlir
    %v0 = memref.view %arena[%c0][] : memref<8xi8> to memref<2xf32>
    call @block(%v0, %w0) {loom.instance = "h.0"}
    %v1 = memref.view %arena[%c8][] : ...
    call @block(%v1, %w1) {loom.instance = "h.1"}
    // =>
    scf.for %i = %c0 to %c2 step %c1 {
      %offset = memref.load %offsets[%i]
      %w_index = memref.load %indices[%i]
      %w = loom.table_buffer %table[%w_index] : !llvm.ptr -> memref<...>
      %v = memref.view %arena[%offset][] : ...
      call @block(%v, %w) {loom.instance = "h.0"}
    }
    ```

    Stretches are compared op by op (names, attributes but `loom.instance`,
    types); an operand is the same value in every stretch, defined in its
    own stretch at the same place, or one of the two kinds above. Views
    (`memref.view`, `subview`, reshapes, casts) are first copied next to
    each of their users, so that a stretch reads an earlier stretch's
    buffer through a view of its own. A stretch whose value is used outside
    it, an op with regions, or an argument without a `loom.table_index`
    leaves the run as it is: rolling is an optimization of compile time and
    code size, never a change of what runs.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def LoomLowerBufferTablesPass : Pass<"loom-lower-buffer-tables", "::mlir::ModuleOp"> {
  let summary = "Lower loom.table_buffer to a load from the runtime's table";
  let description = [{
    Before the conversion to the llvm dialect: each `loom.table_buffer
    %table[%i]` becomes a load of the `%i`-th pointer of the table and the
    memref descriptor of the static shape around it (the runtime's buffers
    are dense and row-major, abi.h), cast back to the memref for the
    conversions that follow; -reconcile-unrealized-casts removes the cast.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // LOOM_CODEGEN_PASSES_TD
