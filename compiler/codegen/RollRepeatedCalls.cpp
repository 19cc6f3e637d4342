//===- RollRepeatedCalls.cpp - A loop over the layers' calls --------------===//
//
// Runs of stretches that each end in a call of one function and differ only
// in constants and in the runtime's buffers become a loop over the
// stretches, which reads those from constant tables (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/MapVector.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMROLLREPEATEDCALLSPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;
namespace ops = mlir::loom;

// Copies every view of `body` (a pure op that only reinterprets a buffer),
// with the constants it reads (memory planning's offsets), next to each
// op that uses it, so that an op reads the buffers of other stretches
// through views of its own stretch. Later views first, so that a view of
// a view is copied next to each copy of its user.
static void copyViewsToUsers(Block &body) {
  SmallVector<Operation *> views;
  for (Operation &op : body)
    if (isa<ViewLikeOpInterface>(op) && op.getNumRegions() == 0 &&
        op.getNumResults() == 1 && isPure(&op))
      views.push_back(&op);
  for (Operation *view : llvm::reverse(views)) {
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : view->getResult(0).getUses())
      uses.push_back(&use);
    OpBuilder builder(view->getContext());
    for (OpOperand *use : uses) {
      Operation *user = body.findAncestorOpInBlock(*use->getOwner());
      builder.setInsertionPoint(user);
      IRMapping constants;
      for (Value operand : view->getOperands())
        if (Operation *constant = operand.getDefiningOp();
            constant && constant->hasTrait<OpTrait::ConstantLike>())
          constants.map(operand, builder.clone(*constant)->getResult(0));
      use->set(builder.clone(*view, constants)->getResult(0));
    }
    SmallVector<Value> operands(view->getOperands());
    view->erase();
    // Left where they were, the constants would be part of a stretch.
    for (Value operand : operands)
      if (Operation *constant = operand.getDefiningOp();
          constant && constant->hasTrait<OpTrait::ConstantLike>() &&
          constant->use_empty())
        constant->erase();
  }
}

// A reshape of a view of the arena, made a view of the arena itself (the
// same bytes, typed as the reshape's result), so that a block's input read
// reshaped in one layer (the first backward layer's, from the final norm)
// and as a view in the others looks the same.
static void foldReshapesOfViews(Block &body) {
  for (Operation &op : llvm::make_early_inc_range(body)) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(op))
      continue;
    auto view = op.getOperand(0).getDefiningOp<memref::ViewOp>();
    auto type = cast<MemRefType>(op.getResult(0).getType());
    if (!view || !view.getSizes().empty() || !type.hasStaticShape() ||
        !type.getLayout().isIdentity())
      continue;
    OpBuilder builder(&op);
    Value folded = memref::ViewOp::create(builder, op.getLoc(), type,
                                          view.getSource(), view.getByteShift(),
                                          ValueRange{});
    op.getResult(0).replaceAllUsesWith(folded);
    op.erase();
    if (view->use_empty())
      view->erase();
  }
}

namespace {

// How the operand of one op of a stretch is found in each stretch.
enum class OperandKind {
  local,     // a result of an earlier op of the same stretch, at one place
  carried,   // the previous stretch's result at one place (a running sum);
             // in the first stretch, a value from before the run
  invariant, // one value defined before the run
  constant,  // an arith.constant defined before the run, one per stretch
  buffer,    // an argument with a loom.table_index, one per stretch
};

struct OperandPlan {
  OperandKind kind;
  // For `local` and `carried`: the defining op's place in a stretch and
  // the result.
  unsigned op = 0, result = 0;
};

// A run: `count` stretches of `length` ops, the first starting at `begin`
// in the ops of the function's body.
struct Run {
  unsigned begin = 0, length = 0, count = 0;
  unsigned end() const { return begin + length * count; }
  unsigned opsCovered() const { return length * count; }
};

// The plan of a run: per op of a stretch, whether it is a constant read
// from a table, and per operand how it is found.
struct RunPlan {
  SmallVector<bool> tabledConstant;
  SmallVector<SmallVector<OperandPlan>> operands;
  // The (place, result) of every value carried from stretch to stretch.
  SmallVector<std::pair<unsigned, unsigned>> carried;
};

class Roller {
public:
  Roller(func::FuncOp function, SymbolTable &symbols)
      : function(function), symbols(symbols) {}

  // Rolls the run covering the most ops, if any: true when it did.
  bool rollOnce();

private:
  Operation *stretchOp(const Run &run, unsigned stretch, unsigned place) const {
    return ops[run.begin + stretch * run.length + place];
  }
  FailureOr<RunPlan> plan(const Run &run) const;
  LogicalResult checkUses(const Run &run, const RunPlan &runPlan) const;
  bool matchesFirst(const Run &run, unsigned stretch) const;
  bool sameOp(Operation *first, Operation *other) const;
  std::optional<unsigned> placeInStretch(Value value, unsigned stretchBegin,
                                         unsigned length) const;
  bool beforeRun(Value value, const Run &run) const;
  bool isTableBuffer(Value value) const;
  void roll(const Run &run, const RunPlan &runPlan);
  Value bufferTable();

  mutable func::FuncOp function; // ops are handles: const methods read it
  SymbolTable &symbols;          // the module's, for the tables' names
  SmallVector<Operation *> ops;  // the body's ops, for the current search
  DenseMap<Operation *, unsigned> position;
};

} // namespace

// Equal but for the instance of a block a call computes and the location.
bool Roller::sameOp(Operation *first, Operation *other) const {
  if (first->getName() != other->getName() ||
      first->getNumOperands() != other->getNumOperands() ||
      first->getResultTypes() != other->getResultTypes() ||
      first->getNumRegions() != 0 || other->getNumRegions() != 0)
    return false;
  auto withoutInstance = [](Operation *op) {
    NamedAttrList attrs(op->getAttrDictionary());
    attrs.erase(ops::kInstanceAttr);
    return attrs.getDictionary(op->getContext());
  };
  return withoutInstance(first) == withoutInstance(other);
}

// The place in the stretch [stretchBegin, stretchBegin + length) of the
// op defining `value`, if it is one of them.
std::optional<unsigned> Roller::placeInStretch(Value value, unsigned stretchBegin,
                                               unsigned length) const {
  Operation *defining = value.getDefiningOp();
  if (!defining || defining->getBlock() != &function.front())
    return std::nullopt;
  unsigned at = position.lookup(defining);
  if (at < stretchBegin || at >= stretchBegin + length)
    return std::nullopt;
  return at - stretchBegin;
}

bool Roller::beforeRun(Value value, const Run &run) const {
  Operation *defining = value.getDefiningOp();
  return !defining || defining->getBlock() != &function.front() ||
         position.lookup(defining) < run.begin;
}

// An argument the runtime's table holds.
bool Roller::isTableBuffer(Value value) const {
  auto argument = dyn_cast<BlockArgument>(value);
  return argument && argument.getOwner() == &function.front() &&
         function.getArgAttr(argument.getArgNumber(), ops::kTableIndexAttr);
}

static bool isTableableConstant(Operation *op) {
  auto constant = dyn_cast_or_null<arith::ConstantOp>(op);
  return constant && isa<IntegerAttr, FloatAttr>(constant.getValue());
}

FailureOr<RunPlan> Roller::plan(const Run &run) const {
  RunPlan result;
  for (unsigned place = 0; place < run.length; ++place) {
    Operation *first = stretchOp(run, 0, place);
    // A constant whose value differs from stretch to stretch (the gradient
    // number loom_gradient_ready receives, an arena offset) is read from a
    // table.
    bool tabled = false;
    for (unsigned s = 1; s < run.count; ++s) {
      Operation *other = stretchOp(run, s, place);
      if (sameOp(first, other))
        continue;
      if (!isTableableConstant(first) || !isTableableConstant(other) ||
          first->getResultTypes() != other->getResultTypes())
        return failure();
      tabled = true;
    }
    result.tabledConstant.push_back(tabled);

    SmallVector<OperandPlan> operands;
    for (unsigned j = 0; j < first->getNumOperands(); ++j) {
      Value value = first->getOperand(j);
      OperandPlan operandPlan{OperandKind::invariant};
      if (std::optional<unsigned> local =
              placeInStretch(value, run.begin, run.length)) {
        operandPlan = {OperandKind::local, *local,
                       cast<OpResult>(value).getResultNumber()};
      } else if (!beforeRun(value, run)) {
        return failure();
      } else if (run.count > 1) {
        // Carried when the second stretch reads the first one's result.
        Value second = stretchOp(run, 1, place)->getOperand(j);
        if (std::optional<unsigned> previous =
                placeInStretch(second, run.begin, run.length))
          operandPlan = {OperandKind::carried, *previous,
                         cast<OpResult>(second).getResultNumber()};
      }
      bool same = true, constants = true, buffers = true;
      for (unsigned s = 0; s < run.count; ++s) {
        Value each = stretchOp(run, s, place)->getOperand(j);
        unsigned stretchBegin = run.begin + s * run.length;
        if (operandPlan.kind == OperandKind::local ||
            (operandPlan.kind == OperandKind::carried && s > 0)) {
          unsigned from = operandPlan.kind == OperandKind::local
                              ? stretchBegin
                              : stretchBegin - run.length;
          std::optional<unsigned> at = placeInStretch(each, from, run.length);
          if (!at || *at != operandPlan.op ||
              cast<OpResult>(each).getResultNumber() != operandPlan.result)
            return failure();
          continue;
        }
        if (!beforeRun(each, run))
          return failure(); // a value of another stretch of the run
        same &= each == value;
        constants &= isTableableConstant(each.getDefiningOp()) &&
                     each.getType() == value.getType();
        buffers &= isTableBuffer(each) && each.getType() == value.getType();
      }
      if (operandPlan.kind == OperandKind::carried) {
        std::pair<unsigned, unsigned> slot{operandPlan.op, operandPlan.result};
        if (!llvm::is_contained(result.carried, slot))
          result.carried.push_back(slot);
      } else if (operandPlan.kind != OperandKind::local) {
        if (same)
          operandPlan.kind = OperandKind::invariant;
        else if (constants)
          operandPlan.kind = OperandKind::constant;
        else if (buffers)
          operandPlan.kind = OperandKind::buffer;
        else
          return failure();
      }
      operands.push_back(operandPlan);
    }
    result.operands.push_back(std::move(operands));
  }
  if (failed(checkUses(run, result)))
    return failure();
  return result;
}

// Every result of a stretch is read in its stretch, by the next stretch as
// a carried value, or -- from the last stretch -- after the run, as the
// loop's result. A carried value starts from one value.
LogicalResult Roller::checkUses(const Run &run, const RunPlan &runPlan) const {
  auto isCarried = [&](unsigned place, unsigned result) {
    return llvm::is_contained(runPlan.carried, std::make_pair(place, result));
  };
  for (unsigned s = 0; s < run.count; ++s) {
    unsigned stretchBegin = run.begin + s * run.length;
    for (unsigned place = 0; place < run.length; ++place) {
      for (OpResult value : stretchOp(run, s, place)->getResults()) {
        for (OpOperand &use : value.getUses()) {
          Operation *top = function.front().findAncestorOpInBlock(*use.getOwner());
          if (!top)
            return failure();
          unsigned at = position.lookup(top);
          if (at >= stretchBegin && at < stretchBegin + run.length)
            continue;
          if (!isCarried(place, value.getResultNumber()))
            return failure();
          if (at >= run.end() && s + 1 == run.count)
            continue;
          // Read by the next stretch, directly, as a carried operand.
          if (top != use.getOwner() || at < stretchBegin + run.length ||
              at >= stretchBegin + 2 * run.length)
            return failure();
          const OperandPlan &operand =
              runPlan.operands[at - stretchBegin - run.length][use.getOperandNumber()];
          if (operand.kind != OperandKind::carried || operand.op != place ||
              operand.result != value.getResultNumber())
            return failure();
        }
      }
    }
  }
  // In the first stretch, each carried value starts from one value.
  DenseMap<std::pair<unsigned, unsigned>, Value> initial;
  for (unsigned place = 0; place < run.length; ++place)
    for (auto [j, operand] : llvm::enumerate(runPlan.operands[place])) {
      if (operand.kind != OperandKind::carried)
        continue;
      Value value = stretchOp(run, 0, place)->getOperand(j);
      auto [it, inserted] = initial.try_emplace({operand.op, operand.result}, value);
      if (!inserted && it->second != value)
        return failure();
      if (value.getType() !=
          stretchOp(run, 0, operand.op)->getResult(operand.result).getType())
        return failure();
    }
  return success();
}

// Whether stretch `stretch` (≥ 1) of `run` could follow the ones before it
// in a loop: a quick test against the first stretch, so that a run grows in
// linear time; plan() then checks the whole run.
bool Roller::matchesFirst(const Run &run, unsigned stretch) const {
  unsigned other = run.begin + stretch * run.length;
  for (unsigned place = 0; place < run.length; ++place) {
    Operation *a = ops[run.begin + place], *b = ops[other + place];
    if (!sameOp(a, b) &&
        !(isTableableConstant(a) && isTableableConstant(b) &&
          a->getResultTypes() == b->getResultTypes()))
      return false;
    for (auto [v, w] : llvm::zip(a->getOperands(), b->getOperands())) {
      std::optional<unsigned> localV = placeInStretch(v, run.begin, run.length);
      std::optional<unsigned> localW = placeInStretch(w, other, run.length);
      if (localV || localW) {
        if (localV != localW || cast<OpResult>(v).getResultNumber() !=
                                    cast<OpResult>(w).getResultNumber())
          return false;
        continue;
      }
      if (placeInStretch(w, other - run.length, run.length))
        continue; // carried, if the plan agrees
      if (!beforeRun(w, run))
        return false;
      bool buffers = isTableBuffer(v) && isTableBuffer(w);
      bool constants = isTableableConstant(v.getDefiningOp()) &&
                       isTableableConstant(w.getDefiningOp());
      if (v != w && (v.getType() != w.getType() || !(buffers || constants)))
        return false;
    }
  }
  return true;
}

bool Roller::rollOnce() {
  Block &body = function.front();
  ops.clear();
  position.clear();
  for (Operation &op : body) {
    position[&op] = ops.size();
    ops.push_back(&op);
  }
  // The calls of each function defined in the module, in order.
  llvm::MapVector<StringRef, SmallVector<unsigned>> callsOf;
  for (auto [at, op] : llvm::enumerate(ops)) {
    auto call = dyn_cast<func::CallOp>(op);
    if (!call)
      continue;
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        call, call.getCalleeAttr());
    if (callee && !callee.isExternal())
      callsOf[call.getCallee()].push_back(at);
  }

  Run best;
  FailureOr<RunPlan> bestPlan = failure();
  for (auto &[callee, calls] : callsOf) {
    for (unsigned j = 0; j + 1 < calls.size(); ++j) {
      unsigned length = calls[j + 1] - calls[j];
      unsigned longest = 0;
      // Each way to cut the ops into stretches with one call each: the
      // call last, or followed by what belongs to it (loom_gradient_ready
      // after a block's backward call, a running sum after a kernel's).
      for (unsigned after = 0; after < length; ++after) {
        if (calls[j] + 1 + after < length)
          continue;
        // As long as the next call follows at the same distance, and
        // never the body's terminator.
        Run run{calls[j] + 1 + after - length, length, 1};
        while (j + run.count < calls.size() &&
               calls[j + run.count] - calls[j + run.count - 1] == length &&
               calls[j + run.count] + after + 1 < ops.size() &&
               matchesFirst({run.begin, length, run.count + 1}, run.count))
          ++run.count;
        longest = std::max(longest, run.count);
        FailureOr<RunPlan> runPlan = failure();
        // Shorter if the whole fails (a value the stretch after it reads).
        for (; run.count >= 2; --run.count)
          if (succeeded(runPlan = plan(run)))
            break;
        if (succeeded(runPlan) && run.opsCovered() > best.opsCovered()) {
          best = run;
          bestPlan = std::move(runPlan);
        }
      }
      // The runs that start inside this one are parts of it.
      j += std::max(longest, 2u) - 2;
    }
  }
  if (best.count < 2)
    return false;
  roll(best, *bestPlan);
  return true;
}

// The function's argument through which the runtime passes its table.
Value Roller::bufferTable() {
  unsigned last = function.getNumArguments();
  if (last > 0 && function.getArgAttr(last - 1, ops::kBufferTableAttr))
    return function.getArgument(last - 1);
  MLIRContext *context = function.getContext();
  NamedAttrList attrs;
  attrs.append(ops::kBufferTableAttr, UnitAttr::get(context));
  (void)function.insertArgument(last, LLVM::LLVMPointerType::get(context),
                                attrs.getDictionary(context), function.getLoc());
  return function.getArgument(last);
}

namespace {
// The constant tables of a run: one column per value that differs from
// stretch to stretch, the columns of one element type in one
// `memref.global` [stretches, columns].
class RunTables {
public:
  // Adds a column; returns where to read it.
  std::pair<Type, int64_t> add(Type type, SmallVector<Attribute> values) {
    SmallVector<SmallVector<Attribute>> &typed = columns[type];
    typed.push_back(std::move(values));
    return {type, static_cast<int64_t>(typed.size()) - 1};
  }

  // The globals, and their memrefs read before `builder`'s point.
  void build(OpBuilder &builder, Location loc, StringRef prefix,
             SymbolTable &symbols, unsigned stretches) {
    for (auto &[type, typed] : columns) {
      auto shape = SmallVector<int64_t>{stretches, static_cast<int64_t>(typed.size())};
      SmallVector<Attribute> values;
      for (unsigned s = 0; s < stretches; ++s)
        for (const SmallVector<Attribute> &column : typed)
          values.push_back(column[s]);
      auto memrefType = MemRefType::get(shape, type);
      OpBuilder detached(builder.getContext());
      auto global = memref::GlobalOp::create(
          detached, loc, (prefix + ".layers").str(),
          detached.getStringAttr("private"), memrefType,
          DenseElementsAttr::get(RankedTensorType::get(shape, type), values),
          /*constant=*/true, /*alignment=*/nullptr);
      symbols.insert(global); // at the module's end, under a unique name
      memrefs[type] =
          memref::GetGlobalOp::create(builder, loc, memrefType, global.getSymName());
    }
  }

  Value read(OpBuilder &builder, Location loc, std::pair<Type, int64_t> column,
             Value stretch) {
    Value index = arith::ConstantIndexOp::create(builder, loc, column.second);
    return memref::LoadOp::create(builder, loc, memrefs[column.first],
                                  ValueRange{stretch, index});
  }

private:
  llvm::MapVector<Type, SmallVector<SmallVector<Attribute>>> columns;
  DenseMap<Type, Value> memrefs;
};
} // namespace

void Roller::roll(const Run &run, const RunPlan &runPlan) {
  Operation *start = ops[run.begin];
  Location loc = start->getLoc();
  OpBuilder builder(start);
  auto constantValue = [](Operation *op) {
    return cast<arith::ConstantOp>(op).getValue();
  };

  // The tables' columns: per (place, operand), ~0u for a tabled constant.
  RunTables tables;
  DenseMap<std::pair<unsigned, unsigned>, std::pair<Type, int64_t>> columns;
  Value tableArgument;
  for (unsigned place = 0; place < run.length; ++place) {
    Operation *first = stretchOp(run, 0, place);
    if (runPlan.tabledConstant[place]) {
      SmallVector<Attribute> values;
      for (unsigned s = 0; s < run.count; ++s)
        values.push_back(constantValue(stretchOp(run, s, place)));
      columns[{place, ~0u}] = tables.add(first->getResult(0).getType(), values);
      continue;
    }
    for (auto [j, operandPlan] : llvm::enumerate(runPlan.operands[place])) {
      SmallVector<Attribute> values;
      if (operandPlan.kind == OperandKind::constant) {
        for (unsigned s = 0; s < run.count; ++s)
          values.push_back(constantValue(
              stretchOp(run, s, place)->getOperand(j).getDefiningOp()));
        columns[{place, j}] = tables.add(first->getOperand(j).getType(), values);
      } else if (operandPlan.kind == OperandKind::buffer) {
        for (unsigned s = 0; s < run.count; ++s) {
          auto argument =
              cast<BlockArgument>(stretchOp(run, s, place)->getOperand(j));
          values.push_back(builder.getIndexAttr(
              cast<IntegerAttr>(function.getArgAttr(argument.getArgNumber(),
                                                    ops::kTableIndexAttr))
                  .getInt()));
        }
        columns[{place, j}] = tables.add(builder.getIndexType(), values);
        if (!tableArgument)
          tableArgument = bufferTable();
      }
    }
  }
  tables.build(builder, loc, function.getSymName(), symbols, run.count);

  // The carried values' first values.
  SmallVector<Value> initial(runPlan.carried.size());
  for (unsigned place = 0; place < run.length; ++place)
    for (auto [j, operand] : llvm::enumerate(runPlan.operands[place]))
      if (operand.kind == OperandKind::carried)
        initial[llvm::find(runPlan.carried, std::make_pair(operand.op, operand.result)) -
                runPlan.carried.begin()] = stretchOp(run, 0, place)->getOperand(j);

  // The loop: the first stretch, with the tables' entries.
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value count = arith::ConstantIndexOp::create(builder, loc, run.count);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  auto loop = scf::ForOp::create(builder, loc, zero, count, one, initial);
  builder.setInsertionPointToStart(loop.getBody());
  Value stretch = loop.getInductionVar();
  IRMapping mapping;
  for (unsigned place = 0; place < run.length; ++place) {
    Operation *first = stretchOp(run, 0, place);
    if (runPlan.tabledConstant[place]) {
      mapping.map(first->getResult(0), tables.read(builder, first->getLoc(),
                                                   columns[{place, ~0u}], stretch));
      continue;
    }
    // Each operand for this op alone: the same value may be another
    // layer's buffer (or another constant) at the next op.
    SmallVector<Value> mappedOperands;
    for (auto [j, operandPlan] : llvm::enumerate(runPlan.operands[place])) {
      Value operand = first->getOperand(j);
      switch (operandPlan.kind) {
      case OperandKind::local:
      case OperandKind::invariant:
        mappedOperands.push_back(mapping.lookupOrDefault(operand));
        break;
      case OperandKind::constant:
        mappedOperands.push_back(
            tables.read(builder, first->getLoc(), columns[{place, j}], stretch));
        break;
      case OperandKind::buffer: {
        Value index =
            tables.read(builder, first->getLoc(), columns[{place, j}], stretch);
        mappedOperands.push_back(ops::TableBufferOp::create(
            builder, first->getLoc(), operand.getType(), tableArgument, index));
        break;
      }
      case OperandKind::carried: {
        auto slot = llvm::find(runPlan.carried,
                               std::make_pair(operandPlan.op, operandPlan.result));
        mappedOperands.push_back(
            loop.getRegionIterArg(slot - runPlan.carried.begin()));
        break;
      }
      }
    }
    Operation *copy = builder.clone(*first, mapping);
    copy->setOperands(mappedOperands);
    copy->removeAttr(ops::kInstanceAttr);
  }
  // (Without carried values, the loop has its yield already.)
  if (!runPlan.carried.empty()) {
    SmallVector<Value> next;
    for (auto [place, result] : runPlan.carried)
      next.push_back(mapping.lookup(stretchOp(run, 0, place)->getResult(result)));
    scf::YieldOp::create(builder, loc, next);
  }

  // After the run, the last stretch's carried values are the loop's.
  for (auto [slot, carried] : llvm::enumerate(runPlan.carried)) {
    Value last = stretchOp(run, run.count - 1, carried.first)->getResult(carried.second);
    last.replaceUsesWithIf(loop.getResult(slot), [&](OpOperand &use) {
      Operation *top = function.front().findAncestorOpInBlock(*use.getOwner());
      return position.lookup(top) >= run.end();
    });
  }
  for (unsigned at = run.end(); at > run.begin; --at)
    ops[at - 1]->erase();
}

namespace {
struct LoomRollRepeatedCallsPass
    : public ::loomc::impl::LoomRollRepeatedCallsPassBase<LoomRollRepeatedCallsPass> {
  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    SmallVector<func::FuncOp> entries;
    for (auto function : getOperation().getOps<func::FuncOp>())
      if (function.isPublic() && !function.isExternal())
        entries.push_back(function);
    for (func::FuncOp function : entries) {
      copyViewsToUsers(function.front());
      foldReshapesOfViews(function.front());
      Roller roller(function, symbols);
      bool rolled = false;
      while (roller.rollOnce())
        rolled = true;
      // The stretches' constants the tables replaced.
      if (rolled)
        for (Operation &op : llvm::make_early_inc_range(function.front()))
          if (op.hasTrait<OpTrait::ConstantLike>() && op.use_empty())
            op.erase();
      for (unsigned i = 0, e = function.getNumArguments(); i < e; ++i)
        function.removeArgAttr(i, ops::kTableIndexAttr);
    }
  }
};
} // namespace
