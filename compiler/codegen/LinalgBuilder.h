//===- LinalgBuilder.h - Building linalg on tensors for loom ops -*- C++ -*-===//
//
// The helpers every lowering of a loom op uses: destination tensors, generics
// with the usual maps, collapsing batch-like rows, products, and the vector
// row kernels of softmax statistics.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_LINALGBUILDER_H
#define LOOM_COMPILER_CODEGEN_LINALGBUILDER_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace loomc::codegen {

using mlir::Value;

class LinalgBuilder {
public:
  LinalgBuilder(mlir::RewriterBase &rewriter, mlir::Location loc)
      : b(rewriter), loc(loc), element(rewriter.getF32Type()) {}

  using BodyFn = llvm::function_ref<llvm::SmallVector<Value>(
      mlir::OpBuilder &, mlir::Location, mlir::ValueRange args)>;
  using ElementFn =
      llvm::function_ref<Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

  // A scalar constant, and a tensor type, of the element type.
  Value floatConstant(double value);
  mlir::RankedTensorType floatTensor(llvm::ArrayRef<int64_t> shape);
  Value index(int64_t value);
  Value empty(mlir::RankedTensorType type);
  Value filled(mlir::RankedTensorType type, double value);
  // The widest vector of the element type the row kernels use (512 bits:
  // 16 f32 lanes, 8 f64), and a constant vector of `value`.
  static constexpr unsigned kVectorBits = 512;
  mlir::VectorType fullVector();
  Value splat(mlir::VectorType type, double value);

  // The map that reads an operand of rank `rank` in a nest of `loops`
  // dimensions through the trailing ones (a bias [N] in an [M, N] nest).
  mlir::AffineMap trailingMap(unsigned loops, unsigned rank);
  // The map that reads dimensions `dims` of the nest, in that order.
  mlir::AffineMap dimsMap(unsigned loops, llvm::ArrayRef<unsigned> dims);

  // A generic over `loops` dimensions, the leading `reductions` of which
  // reduce; operands are read through trailing maps.
  mlir::linalg::GenericOp generic(unsigned loops, unsigned reductions,
                                  mlir::ValueRange inputs,
                                  mlir::ValueRange outputs, BodyFn body);
  // A generic with explicit maps (inputs, then outputs) and iterators.
  mlir::linalg::GenericOp
  generic(mlir::ValueRange inputs, mlir::ValueRange outputs,
          llvm::ArrayRef<mlir::AffineMap> maps,
          llvm::ArrayRef<mlir::utils::IteratorType> iterators, BodyFn body);

  // A pass over the rows of [M, N] inputs that yields `rowOutputs` [M, N]
  // results and `sums` [N] column sums (a bias gradient): `body` gets the
  // inputs' elements, the row outputs' and the sums' accumulators, as a
  // generic's body does. The rows go in blocks of consecutive rows, one
  // partial sum per block, added up after: threads split the blocks, so
  // each streams whole rows (a split by columns reads every row in short
  // strided pieces). `pass` is the generic over the blocks.
  struct RowBlockedPass {
    mlir::linalg::GenericOp pass;
    llvm::SmallVector<Value> rows, sums;
  };
  RowBlockedPass rowBlockedPass(mlir::ValueRange inputs, unsigned rowOutputs,
                                unsigned sums, BodyFn body);
  // The body of a sum: a generic with one input and one output that
  // accumulates it (out += in).
  static llvm::SmallVector<Value> sumBody(mlir::OpBuilder &b, mlir::Location loc,
                                          mlir::ValueRange args);
  // result = fn(inputs...) elementwise over `type`, broadcasting lower-rank
  // inputs along leading dimensions.
  Value elementwise(mlir::RankedTensorType type, mlir::ValueRange inputs,
                    ElementFn fn);

  // [L..., C] as [R, C] (R = Π L), and back.
  Value collapseRows(Value value);
  Value expandRows(Value value, llvm::ArrayRef<int64_t> shape);

  // C = op(A)·op(B) for matrices: a transposed right operand is first
  // copied into its transpose, a transposed left operand is read through
  // the map.
  Value matmul(Value lhs, Value rhs, bool transposeLhs, bool transposeRhs);
  // The same product with bf16 operands and f32 accumulation
  // (--precision=bf16): the left operand is rounded to a bf16 copy (a
  // transposed one when transposeLhs), the right one rounded as it is
  // packed, block by block inside the product's tiles. With an even k, a
  // linalg.contract over pairs of k (pairedProduct), else a linalg.matmul.
  Value bf16Matmul(Value lhs, Value rhs, bool transposeLhs, bool transposeRhs);
  // The maps of a product over pairs of k, loops (m, n, k/2, 2): A as
  // [M, K/2, 2], B packed as [K/2, N, 2] (each pair of k rows interleaved,
  // the layout of vdpbf16ps's and AMX's operands), C [M, N].
  static llvm::SmallVector<mlir::AffineMap> pairedProductMaps(mlir::MLIRContext *ctx);
  // Whether `op` is such a product.
  static bool isPairedProduct(mlir::Operation *op);
  // Whether `op` is a matrix product: a linalg.matmul, loops (m, n, k), or
  // a product over pairs.
  static bool isProduct(mlir::Operation *op);
  // The packed copy of a product's right operand (marked loom.pack): `rhs`,
  // or its transpose, rounded to `elementType`. A linalg.transpose when
  // nothing is rounded, a generic otherwise.
  static Value pack(mlir::OpBuilder &b, mlir::Location loc, Value rhs,
                    bool transpose, mlir::Type elementType);
  // A product of at most kFewRows rows (a decode step's x·W or x·Wᵀ), which
  // the products' lowering computes reading W in the order it is stored
  // (FewRowProduct.cpp) rather than with matmul's tiles and packing.
  static constexpr int64_t kFewRows = 4;
  static bool isFewRowProduct(Value lhs, Value rhs, bool transposeLhs);
  Value fewRowProduct(Value lhs, Value rhs, bool transposeRhs);
  // acc + op(A)·B, accumulated in `acc`'s tensor: A transposed read through
  // the map.
  Value matmulInto(Value lhs, Value rhs, Value acc, bool transposeLhs);

  // A copy of `value` with its dimensions permuted: result dimension i is
  // dimension perm[i] of `value`.
  Value transposed(Value value, llvm::ArrayRef<int64_t> perm);

  // Index attributes of `values`: the static sizes (or offsets, strides) of
  // a slice.
  llvm::SmallVector<mlir::OpFoldResult> indexAttrs(llvm::ArrayRef<int64_t> values);
  // The slice of `source` at `offsets` (dynamic or not) of static `sizes`
  // and unit strides, as a tensor of `shape` (`sizes` without unit
  // dimensions dropped by the slice).
  Value slice(Value source, llvm::ArrayRef<mlir::OpFoldResult> offsets,
              llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> shape);
  // `source` written into `dest` at `offsets`, sizes `sizes`, unit strides.
  Value insertSlice(Value source, Value dest,
                    llvm::ArrayRef<mlir::OpFoldResult> offsets,
                    llvm::ArrayRef<int64_t> sizes);
  // Row maxima m and normalizers l = Σ_j exp(x[r, j] − m[r]) of `logits`
  // [R, C]: two passes per row (the maximum, then the sum), vector lanes
  // combined at the end of each.
  std::pair<Value, Value> softmaxStatistics(Value logits);

  mlir::RewriterBase &b;
  mlir::Location loc;
  // The element type the op computes in: f32, or f64 in --precision=fp64's
  // entry points (lowerOp sets it from the op's tensors).
  mlir::Type element;
  // Products (matmul, fused_linear, fused_linear_grad) read bf16 operands
  // (lowerProductOp; attention's and few-row products stay f32).
  bool bf16Products = false;
};

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_LINALGBUILDER_H
