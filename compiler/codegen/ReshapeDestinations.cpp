//===- ReshapeDestinations.cpp - Results computed in their destination ----===//
//
// A repeated block's function returns what it computes for its caller
// through destinations (-loom-outline-blocks): `materialize_in_destination
// %v in %dest`. Empty-tensor elimination then computes %v directly in the
// destination -- unless %v is a reshape of what was computed (a product's
// 2-D result expanded back to [batch, seq, dim]), whose tensor.empty has
// the other shape: every such result was copied (11 copies per layer of
// GPT-2's forward). This pass moves the reshape to the destination's side,
//
//   materialize_in_destination (expand_shape %x) in %dest
//   =>  expand_shape (materialize_in_destination %x in (collapse_shape %dest))
//
// so that the elimination finds %x's tensor.empty and computes it in a view
// of the destination (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMRESHAPEDESTINATIONSPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

// Moves one reshape of `write`'s source to its destination; returns the
// new write, or null when the source is no static reshape.
static bufferization::MaterializeInDestinationOp
moveReshape(bufferization::MaterializeInDestinationOp write) {
  auto dest = dyn_cast<TypedValue<RankedTensorType>>(write.getDest());
  if (!dest || !dest.getType().hasStaticShape() || !write.getResult())
    return nullptr;
  auto expand = write.getSource().getDefiningOp<tensor::ExpandShapeOp>();
  auto collapse = write.getSource().getDefiningOp<tensor::CollapseShapeOp>();
  if (!expand && !collapse)
    return nullptr;
  // The reshape's source; it and the written value have static shapes.
  Value inner = expand ? expand.getSrc() : collapse.getSrc();
  auto innerType = cast<RankedTensorType>(inner.getType());
  if (!innerType.hasStaticShape())
    return nullptr;
  SmallVector<ReassociationIndices> groups =
      expand ? expand.getReassociationIndices()
             : collapse.getReassociationIndices();
  OpBuilder builder(write);
  Location loc = write.getLoc();
  Value reshapedDest =
      expand ? tensor::CollapseShapeOp::create(builder, loc, dest, groups)
                   .getResult()
             : tensor::ExpandShapeOp::create(builder, loc, innerType, dest,
                                             groups)
                   .getResult();
  auto moved = bufferization::MaterializeInDestinationOp::create(
      builder, loc, inner, reshapedDest);
  Value back =
      expand ? tensor::ExpandShapeOp::create(builder, loc, dest.getType(),
                                             moved.getResult(), groups)
                   .getResult()
             : tensor::CollapseShapeOp::create(builder, loc, moved.getResult(),
                                               groups)
                   .getResult();
  write.getResult().replaceAllUsesWith(back);
  write.erase();
  return moved;
}

namespace {
struct LoomReshapeDestinationsPass
    : public ::loomc::impl::LoomReshapeDestinationsPassBase<
          LoomReshapeDestinationsPass> {
  void runOnOperation() override {
    SmallVector<bufferization::MaterializeInDestinationOp> writes;
    getOperation().walk([&](bufferization::MaterializeInDestinationOp write) {
      writes.push_back(write);
    });
    for (auto write : writes)
      while (write)
        write = moveReshape(write);
  }
};
} // namespace
