//===- LowerElementwise.cpp - sums, activations, reductions to linalg -----===//

#include "compiler/codegen/Lowerings.h"
#include "compiler/codegen/ScalarMath.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;
namespace scalar = loomc::scalar;

// A tensor of zeros with pieces placed in it: what slice_grad lowers to
// (one piece), and what the sum of several becomes (below).
struct PlacedPieces {
  RankedTensorType type;
  SmallVector<tensor::InsertSliceOp> pieces;
};

static bool isZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  auto constant = fill.getInputs()[0].getDefiningOp<arith::ConstantFloatOp>();
  return constant && constant.value().isZero();
}

static std::optional<PlacedPieces> placedPieces(Value value) {
  PlacedPieces placed;
  placed.type = cast<RankedTensorType>(value.getType());
  while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
    if (!insert.hasUnitStride() || insert.getSourceType().getRank() != placed.type.getRank() ||
        ShapedType::isDynamicShape(insert.getStaticOffsets()) ||
        ShapedType::isDynamicShape(insert.getStaticSizes()))
      return std::nullopt;
    placed.pieces.push_back(insert);
    value = insert.getDest();
  }
  if (placed.pieces.empty() || !isZeroFill(value))
    return std::nullopt;
  return placed;
}

static bool overlap(tensor::InsertSliceOp a, tensor::InsertSliceOp b) {
  for (auto [offsetA, sizeA, offsetB, sizeB] :
       llvm::zip(a.getStaticOffsets(), a.getStaticSizes(), b.getStaticOffsets(),
                 b.getStaticSizes()))
    if (offsetA + sizeA <= offsetB || offsetB + sizeB <= offsetA)
      return false;
  return true;
}

// lhs + rhs when both are zeros with pieces placed in them, none of which
// overlap: the pieces placed in one tensor, with no sum. That is the
// gradient of q, k and v sliced from one packed projection; the tensor is
// left uninitialized when the pieces cover it (they do for q|k|v), so that
// each piece's producer writes straight into its slice of the buffer.
static std::optional<Value> sumOfDisjointPieces(LinalgBuilder &l, ops::AddOp op) {
  std::optional<PlacedPieces> lhs = placedPieces(op.getLhs());
  std::optional<PlacedPieces> rhs = placedPieces(op.getRhs());
  if (!lhs || !rhs)
    return std::nullopt;
  SmallVector<tensor::InsertSliceOp> pieces(lhs->pieces);
  pieces.append(rhs->pieces);
  int64_t covered = 0;
  for (auto [i, piece] : llvm::enumerate(pieces)) {
    for (tensor::InsertSliceOp other : ArrayRef(pieces).drop_front(i + 1))
      if (overlap(piece, other))
        return std::nullopt;
    covered += piece.getSourceType().getNumElements();
  }
  RankedTensorType type = op.getResult().getType();
  Value result = covered == type.getNumElements() ? l.empty(type)
                                                  : l.filled(type, 0.0);
  for (tensor::InsertSliceOp piece : llvm::reverse(pieces))
    result = tensor::InsertSliceOp::create(
        l.b, l.loc, piece.getSource(), result, piece.getMixedOffsets(),
        piece.getMixedSizes(), piece.getMixedStrides());
  return result;
}

// lhs + rhs when one of them is an embedding's gradient used nowhere else:
// its rows added into the other operand instead of into zeros. GPT-2's
// tied token embedding and output layer would otherwise pay a second
// table-sized buffer (154 MB at 50257 x 768) and a pass to sum the two.
static std::optional<Value> scatterIntoOther(LinalgBuilder &l, ops::AddOp op) {
  RankedTensorType type = op.getResult().getType();
  for (auto [scattered, other] : {std::pair(op.getLhs(), op.getRhs()),
                                  std::pair(op.getRhs(), op.getLhs())}) {
    auto loop = scattered.getDefiningOp<scf::ForOp>();
    if (!loop || !loop->hasAttr(mlir::loom::kScatterAddAttr) || !scattered.hasOneUse() ||
        scattered.getType() != type || other.getType() != type ||
        loop->getBlock() != l.b.getInsertionBlock())
      continue;
    // The loop must start after `other` is computed: it moves down to the
    // sum, past nothing that reads its result (the sum is its only user).
    Operation *producer = other.getDefiningOp();
    if (producer && producer->getBlock() == loop->getBlock() &&
        !producer->isBeforeInBlock(loop))
      l.b.moveOpBefore(loop, l.b.getInsertionBlock(), l.b.getInsertionPoint());
    Value into = other; // structured bindings cannot be captured in C++17
    l.b.modifyOpInPlace(loop, [&] {
      loop.getInitArgsMutable()[0].set(into);
      loop->removeAttr(mlir::loom::kScatterAddAttr);
    });
    return loop.getResult(0);
  }
  return std::nullopt;
}

static Value lower(LinalgBuilder &l, ops::AddOp op) {
  if (std::optional<Value> placed = sumOfDisjointPieces(l, op))
    return *placed;
  if (std::optional<Value> scattered = scatterIntoOther(l, op))
    return *scattered;
  return l.elementwise(op.getResult().getType(), {op.getLhs(), op.getRhs()},
                       [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         return arith::AddFOp::create(b, loc, args[0], args[1]);
                       });
}

static Value lowerActivation(LinalgBuilder &l, Operation *op,
                             ops::Activation kind) {
  return l.elementwise(cast<RankedTensorType>(op->getResult(0).getType()),
                       op->getOperand(0),
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return scalar::activation(b, loc, kind, args[0]);
                       });
}

static Value lower(LinalgBuilder &l, ops::ActivationGradOp op) {
  ops::Activation kind = op.getActivation();
  return l.elementwise(op.getResult().getType(),
                       {op.getSaved(), op.getOutputGrad()},
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return scalar::activationGrad(b, loc, kind, args[0],
                                                       args[1]);
                       });
}

// y = silu(gate)·up
static Value lower(LinalgBuilder &l, ops::SwigluOp op) {
  return l.elementwise(op.getResult().getType(), {op.getGate(), op.getUp()},
                       [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         return arith::MulFOp::create(
                             b, loc, scalar::silu(b, loc, args[0]), args[1]);
                       });
}

// dgate = dy·up·silu'(gate), dup = dy·silu(gate), in one pass.
static SmallVector<Value> lower(LinalgBuilder &l, ops::SwigluGradOp op) {
  auto type = op.getGate().getType();
  return l.generic(type.getRank(), 0,
                   {op.getGate(), op.getUp(), op.getOutputGrad()},
                   {l.empty(type), l.empty(type)},
                   [](OpBuilder &b, Location loc, ValueRange args) {
                     Value gate = args[0], up = args[1], dy = args[2];
                     Value dgate = arith::MulFOp::create(
                         b, loc, arith::MulFOp::create(b, loc, dy, up),
                         scalar::siluDerivative(b, loc, gate));
                     Value dup = arith::MulFOp::create(
                         b, loc, dy, scalar::silu(b, loc, gate));
                     return SmallVector<Value>{dgate, dup};
                   })
      ->getResults();
}

// db[n] = Σ_m dy[m, n], in the same order as fused_linear_grad's reduction
// (blocks of rows, then over the blocks) when all but the last dimension
// are summed.
static Value lower(LinalgBuilder &l, ops::ReduceSumOp op) {
  auto inType = op.getInput().getType();
  auto outType = op.getResult().getType();
  unsigned reductions = inType.getRank() - outType.getRank();
  if (outType.getRank() == 1 && inType.getRank() >= 2)
    return l.rowBlockedPass({l.collapseRows(op.getInput())}, 0, 1, LinalgBuilder::sumBody)
        .sums[0];
  return l.generic(inType.getRank(), reductions, op.getInput(),
                   {l.filled(outType, 0.0)}, LinalgBuilder::sumBody)
      .getResult(0);
}

Lowered loomc::codegen::lowerElementwiseOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::AddOp, ops::ActivationGradOp, ops::SwigluOp, ops::ReduceSumOp>(
          [&](auto concrete) { return SmallVector<Value>{lower(l, concrete)}; })
      .Case([&](ops::ActivationOpInterface activation) {
        return SmallVector<Value>{
            lowerActivation(l, activation, activation.getKind())};
      })
      .Case([&](ops::SwigluGradOp grad) { return lower(l, grad); })
      .Case([&](ops::ZerosOp zeros) {
        return SmallVector<Value>{l.filled(zeros.getResult().getType(), 0.0)};
      })
      .Default([](Operation *) { return std::nullopt; });
}
