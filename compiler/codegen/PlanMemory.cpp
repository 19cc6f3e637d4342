//===- PlanMemory.cpp - One arena per function, reused by liveness -------===//
//
// After bufferization and deallocation every intermediate tensor of an entry
// function is a `memref.alloc` at the top level of the function's body,
// freed by a `memref.dealloc` at its end. This pass gives each of them a fixed
// offset in one arena allocated once per call, so that buffers whose
// lifetimes do not overlap share memory: the arena's size is the function's
// peak, known at compile time.
//
// Offsets are found greedily, largest buffer first, each at the lowest
// 64-byte-aligned offset that does not overlap, in address, any buffer
// already placed whose lifetime overlaps its own (the heuristic TFLite's
// arena planner calls "greedy by size"; for the interval graphs of training
// steps it stays within a few per cent of the largest set of simultaneously
// live buffers, the lower bound, which the pass reports alongside).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include <algorithm>

namespace loomc {
#define GEN_PASS_DEF_LOOMPLANMEMORYPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

namespace {
constexpr int64_t kAlignment = 64;

int64_t alignUp(int64_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

struct PlannedBuffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t first = 0, last = 0; // positions of the alloc and the last use
  int64_t bytes = 0;           // rounded up to the alignment
  int64_t offset = -1;

  bool liveWith(const PlannedBuffer &other) const {
    return first <= other.last && other.first <= last;
  }
};

// Bytes of a statically shaped, identity-layout buffer of whole-byte
// elements, or nothing if the arena cannot hold it as a memref.view.
std::optional<int64_t> viewableBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace())
    return std::nullopt;
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  return type.getNumElements() * (element.getIntOrFloatBitWidth() / 8);
}

// The position in `body` of the last op that uses `buffer` or a view of
// it (uses inside nested regions count at their top-level op), or nothing
// if the buffer may escape: returned, or passed to an op that yields a
// memref that is not a view of it (scf.for iter_args, calls).
std::optional<int64_t> lastUse(Value buffer, Block &body,
                               const DenseMap<Operation *, int64_t> &position) {
  int64_t last = -1;
  SmallVector<Value> aliases = {buffer};
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      if (isa<memref::DeallocOp>(user))
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (view && view.getViewSource() == alias) {
        aliases.append(user->result_begin(), user->result_end());
      } else if (isa<func::ReturnOp>(user) ||
                 llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>)) {
        return std::nullopt;
      }
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top)
        return std::nullopt;
      last = std::max(last, position.lookup(top));
    }
  }
  return last;
}

// The buffers of `body` the arena can hold: allocated in the body, freed
// there exactly once (after ownership-based deallocation that is at the end
// of the body, so a buffer's life is taken to end at its last use instead),
// never escaping.
SmallVector<PlannedBuffer> collectBuffers(Block &body) {
  DenseMap<Operation *, int64_t> position;
  for (auto [index, op] : llvm::enumerate(body))
    position[&op] = static_cast<int64_t>(index);
  SmallVector<PlannedBuffer> buffers;
  for (auto alloc : body.getOps<memref::AllocOp>()) {
    std::optional<int64_t> bytes = viewableBytes(alloc.getType());
    if (!bytes || !alloc.getDynamicSizes().empty() ||
        !alloc.getSymbolOperands().empty())
      continue;
    SmallVector<memref::DeallocOp> deallocs;
    for (Operation *user : alloc->getUsers())
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user))
        deallocs.push_back(dealloc);
    if (deallocs.size() != 1 || deallocs[0]->getBlock() != &body)
      continue;
    std::optional<int64_t> last = lastUse(alloc, body, position);
    if (!last)
      continue;
    PlannedBuffer buffer;
    buffer.alloc = alloc;
    buffer.dealloc = deallocs[0];
    buffer.first = position[alloc];
    buffer.last = std::max(*last, buffer.first);
    buffer.bytes = alignUp(std::max<int64_t>(*bytes, 1));
    buffers.push_back(buffer);
  }
  return buffers;
}

// Places every buffer; returns the arena's size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &buffer : buffers)
    order.push_back(&buffer);
  llvm::sort(order, [](const PlannedBuffer *a, const PlannedBuffer *b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes : a->first < b->first;
  });
  int64_t arenaBytes = 0;
  SmallVector<const PlannedBuffer *> placed;
  for (PlannedBuffer *buffer : order) {
    SmallVector<const PlannedBuffer *> conflicts;
    for (const PlannedBuffer *other : placed)
      if (buffer->liveWith(*other))
        conflicts.push_back(other);
    llvm::sort(conflicts, [](const PlannedBuffer *a, const PlannedBuffer *b) {
      return a->offset < b->offset;
    });
    int64_t offset = 0;
    for (const PlannedBuffer *other : conflicts) {
      if (offset + buffer->bytes <= other->offset)
        break;
      offset = std::max(offset, other->offset + other->bytes);
    }
    buffer->offset = offset;
    arenaBytes = std::max(arenaBytes, offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return arenaBytes;
}

// The most bytes live at any one point: no placement can do better.
int64_t peakLiveBytes(ArrayRef<PlannedBuffer> buffers) {
  SmallVector<std::pair<int64_t, int64_t>> events; // (position, +/- bytes)
  for (const PlannedBuffer &buffer : buffers) {
    events.push_back({buffer.first, buffer.bytes});
    events.push_back({buffer.last + 1, -buffer.bytes});
  }
  // At equal positions frees come first: a buffer freed at p is dead at p+1.
  llvm::sort(events, [](auto a, auto b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;
  });
  int64_t live = 0, peak = 0;
  for (auto [position, delta] : events) {
    live += delta;
    peak = std::max(peak, live);
  }
  return peak;
}

struct LoomPlanMemoryPass
    : public ::loomc::impl::LoomPlanMemoryPassBase<LoomPlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal() || !function.getBody().hasOneBlock())
      return;
    Block &body = function.getBody().front();
    SmallVector<PlannedBuffer> buffers = collectBuffers(body);
    int64_t arenaBytes = assignOffsets(buffers);

    Builder attributes(function.getContext());
    int64_t separateBytes = 0;
    for (const PlannedBuffer &buffer : buffers)
      separateBytes += buffer.bytes;
    // What the arena cannot hold: packing workspaces allocated per thread
    // block inside parallel loops, and anything dynamically shaped.
    llvm::SmallPtrSet<Operation *, 32> planned;
    for (const PlannedBuffer &buffer : buffers)
      planned.insert(buffer.alloc);
    int64_t leftToMalloc = 0, largestLeft = 0;
    function.walk([&](memref::AllocOp alloc) {
      if (planned.contains(alloc))
        return;
      ++leftToMalloc;
      largestLeft = std::max(largestLeft, viewableBytes(alloc.getType()).value_or(0));
    });
    function->setAttr(mlir::loom::kArenaBytesAttr, attributes.getI64IntegerAttr(arenaBytes));
    function->setAttr(mlir::loom::kArenaBuffersAttr,
                      attributes.getI64IntegerAttr(buffers.size()));
    function->setAttr(mlir::loom::kArenaLowerBoundAttr,
                      attributes.getI64IntegerAttr(peakLiveBytes(buffers)));
    function->setAttr(mlir::loom::kUnplannedBytesAttr,
                      attributes.getI64IntegerAttr(separateBytes));
    function->setAttr(mlir::loom::kAllocsLeftAttr, attributes.getI64IntegerAttr(leftToMalloc));
    function->setAttr(mlir::loom::kLargestLeftAttr,
                      attributes.getI64IntegerAttr(largestLeft));
    if (buffers.empty())
      return;

    OpBuilder builder(&body, body.begin());
    Location loc = function.getLoc();
    auto arenaType = MemRefType::get({arenaBytes}, builder.getI8Type());
    Value arena = memref::AllocOp::create(builder, loc, arenaType,
                                          builder.getI64IntegerAttr(kAlignment));
    for (PlannedBuffer &buffer : buffers) {
      builder.setInsertionPoint(buffer.alloc);
      Value offset = arith::ConstantIndexOp::create(builder, buffer.alloc.getLoc(),
                                                    buffer.offset);
      Value view = memref::ViewOp::create(builder, buffer.alloc.getLoc(),
                                          buffer.alloc.getType(), arena, offset,
                                          ValueRange{});
      buffer.alloc.replaceAllUsesWith(view);
      buffer.dealloc.erase();
      buffer.alloc.erase();
    }
    builder.setInsertionPoint(body.getTerminator());
    memref::DeallocOp::create(builder, loc, arena);
  }
};
} // namespace
