//===- BuildTrainStep.cpp - The functions of an in-place training step ----===//
//
// F and F_grad become forward_backward, grad_norm, one update per optimizer
// and eval_loss, all over caller-owned buffers. Parameters, gradients and
// optimizer state are read through `bufferization.to_tensor ... restrict`
// and written back with `materialize_in_destination`, which bufferization
// turns into in-place computation. forward_backward says where each
// gradient is final (loom.gradient_ready); grad_norm and the updates work
// on ranges of elements the runtime chooses (ZeRO-1 shards).
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMBUILDTRAINSTEPPASS
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

// The update of one parameter: its inputs, and what it needs besides them.
struct UpdateInputs {
  Value param, grad;
  ValueRange state;
  ValueRange hypers; // in OptimizerSpec::hyperparameters order
  Value gradScale, step;
  // AdamW decays only parameters of rank 2 or more (weights, embeddings).
  bool decay;
};

// An optimizer: per-parameter state (named as in torch.optim's state_dict),
// scalar hyperparameters passed at run time, and the op updating one
// parameter, which returns the new parameter followed by the new state.
struct OptimizerSpec {
  StringRef name;
  SmallVector<StringRef> stateSlots;
  SmallVector<StringRef> hyperparameters;
  bool needsStep;
  // Whether the update treats decayed and undecayed parameters differently.
  bool decays;
  SmallVector<Value> (*buildUpdate)(OpBuilder &, Location, const UpdateInputs &);
};

SmallVector<Value> buildSgdUpdate(OpBuilder &builder, Location loc,
                                  const UpdateInputs &in) {
  Type type = in.param.getType();
  auto update = SgdUpdateOp::create(builder, loc, type, type, in.param, in.grad,
                                    in.state[0], /*lr=*/in.hypers[0],
                                    /*momentum=*/in.hypers[1], in.gradScale);
  return {update.getNewParam(), update.getNewVelocity()};
}

SmallVector<Value> buildAdamwUpdate(OpBuilder &builder, Location loc,
                                    const UpdateInputs &in) {
  Type type = in.param.getType();
  Value weightDecay = in.hypers[4];
  if (!in.decay)
    weightDecay = arith::ConstantOp::create(builder, loc, builder.getF32FloatAttr(0.0f));
  auto update = AdamwUpdateOp::create(
      builder, loc, type, type, type, in.param, in.grad, in.state[0],
      in.state[1], /*lr=*/in.hypers[0], /*beta1=*/in.hypers[1],
      /*beta2=*/in.hypers[2], /*eps=*/in.hypers[3], weightDecay, in.step,
      in.gradScale);
  return {update.getNewParam(), update.getNewExpAvg(), update.getNewExpAvgSq()};
}

const OptimizerSpec kOptimizers[] = {
    {"sgd", {"momentum_buffer"}, {"lr", "momentum"}, false, false,
     buildSgdUpdate},
    {"adamw",
     {"exp_avg", "exp_avg_sq"},
     {"lr", "beta1", "beta2", "eps", "weight_decay"},
     true,
     true,
     buildAdamwUpdate},
};

// The caller's buffer for a tensor argument.
static MemRefType bufferOf(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

// Arguments of an entry function under construction, with the attributes
// that name them.
class EntrySignature {
public:
  explicit EntrySignature(MLIRContext *ctx) : b(ctx) {}

  unsigned add(Type type, DictionaryAttr attrs, Location loc) {
    types.push_back(type);
    attrs_.push_back(attrs ? attrs : b.getDictionaryAttr({}));
    locs.push_back(loc);
    return types.size() - 1;
  }
  unsigned addNamed(Type type, StringRef attrName, StringRef name,
                    Location loc) {
    return add(type,
               b.getDictionaryAttr(b.getNamedAttr(attrName, b.getStringAttr(name))),
               loc);
  }

  // Buffers for arguments `argNumbers` of F_grad, with their own attributes
  // (parameters, inputs); returns their positions here.
  SmallVector<unsigned> addBuffersOf(func::FuncOp gradFn,
                                     ArrayRef<unsigned> argNumbers) {
    SmallVector<unsigned> positions;
    for (unsigned arg : argNumbers)
      positions.push_back(add(bufferOf(gradFn.getArgument(arg).getType()),
                              gradFn.getArgAttrDict(arg),
                              gradFn.getArgument(arg).getLoc()));
    return positions;
  }
  // Buffers shaped like parameters `argNumbers` of F_grad under another
  // role: `attrName` = the parameter's name followed by `suffix`.
  SmallVector<unsigned> addBuffersLike(func::FuncOp gradFn,
                                       ArrayRef<unsigned> argNumbers,
                                       StringRef attrName, StringRef suffix = "") {
    SmallVector<unsigned> positions;
    for (unsigned arg : argNumbers)
      positions.push_back(addNamed(bufferOf(gradFn.getArgument(arg).getType()),
                                   attrName,
                                   (describeArgument(gradFn, arg).name + suffix).str(),
                                   gradFn.getArgument(arg).getLoc()));
    return positions;
  }

  // Creates the function after `after`, with an entry block whose arguments
  // carry the locations given.
  func::FuncOp create(OpBuilder &builder, Operation *after, StringRef name,
                      TypeRange results) {
    builder.setInsertionPointAfter(after);
    auto function = func::FuncOp::create(builder, after->getLoc(), name,
                                         b.getFunctionType(types, results));
    function.setAllArgAttrs(ArrayRef<DictionaryAttr>(attrs_));
    Block *entry = function.addEntryBlock();
    for (auto [arg, loc] : llvm::zip(entry->getArguments(), locs))
      arg.setLoc(loc);
    builder.setInsertionPointToStart(entry);
    return function;
  }

private:
  Builder b;
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs_;
  SmallVector<Location> locs;
};

// The parameters and inputs of F_grad, in argument order.
struct ModelArguments {
  SmallVector<unsigned> params, inputs;
};

} // namespace

// Reads a buffer as a tensor. `restrict` promises bufferization that nothing
// else aliases it; `writable` that the function may update it in place.
static Value readBuffer(OpBuilder &builder, Value buffer, bool writable) {
  auto type = cast<MemRefType>(buffer.getType());
  return bufferization::ToTensorOp::create(
      builder, buffer.getLoc(),
      RankedTensorType::get(type.getShape(), type.getElementType()), buffer,
      /*restrict=*/true, writable);
}

// Writes `value` into `buffer`. A buffer never read through a tensor can be
// `restrict`, and the value is then computed directly in it.
static void writeBuffer(OpBuilder &builder, Location loc, Value value,
                        Value buffer, bool restrict) {
  bufferization::MaterializeInDestinationOp::create(
      builder, loc, TypeRange{}, value, buffer, restrict, /*writable=*/true);
}

// Where each gradient of F_grad's `results` is final in `body`: after its
// defining op and after every op that reads it, the return aside. Gradients
// are listed by their anchor, in result order.
static llvm::MapVector<Operation *, SmallVector<unsigned>>
finalPlaces(Block &body, ValueRange results) {
  llvm::MapVector<Operation *, SmallVector<unsigned>> anchors;
  for (auto [i, grad] : llvm::enumerate(results)) {
    Operation *anchor = grad.getDefiningOp();
    for (Operation *user : grad.getUsers())
      if (user->getBlock() == &body && !user->hasTrait<OpTrait::IsTerminator>() &&
          (!anchor || anchor->isBeforeInBlock(user)))
        anchor = user;
    anchors[anchor].push_back(i);
  }
  return anchors;
}

// forward_backward(params, grads, inputs) -> loss. Each gradient is said
// ready (loom.gradient_ready) where the backward pass has computed it, so
// that the runtime may reduce it over ranks while the rest of the pass
// runs; the gradients are written into their buffers at the end, as in
// tensor terms they may be: bufferization computes them in place, and
// -loom-lower-gradient-ready moves each call after the last access to its
// buffer. (Written early, a buffer would be free in tensor terms after its
// write, and bufferization may reuse it as another value's scratch.)
static void buildForwardBackward(OpBuilder &builder, func::FuncOp gradFn,
                                 const ModelArguments &args) {
  EntrySignature sig(builder.getContext());
  SmallVector<unsigned> param = sig.addBuffersOf(gradFn, args.params);
  SmallVector<unsigned> grad =
      sig.addBuffersLike(gradFn, args.params, kGradAttr);
  SmallVector<unsigned> input = sig.addBuffersOf(gradFn, args.inputs);
  func::FuncOp function =
      sig.create(builder, gradFn, "forward_backward", {builder.getF32Type()});
  Block &entry = function.front();

  IRMapping mapping;
  for (auto [i, arg] : llvm::enumerate(args.params))
    mapping.map(gradFn.getArgument(arg),
                readBuffer(builder, entry.getArgument(param[i]), false));
  for (auto [i, arg] : llvm::enumerate(args.inputs))
    mapping.map(gradFn.getArgument(arg),
                readBuffer(builder, entry.getArgument(input[i]), false));
  Block &gradBody = gradFn.front();
  Operation *gradReturn = gradBody.getTerminator();
  llvm::MapVector<Operation *, SmallVector<unsigned>> anchors =
      finalPlaces(gradBody, gradReturn->getOperands().drop_front());
  auto sayReady = [&](ArrayRef<unsigned> grads) {
    for (unsigned i : grads)
      GradientReadyOp::create(builder, gradReturn->getOperand(1 + i).getLoc(),
                              entry.getArgument(grad[i]));
  };
  // A gradient defined nowhere in the body (none in practice) is final
  // from the start.
  if (auto it = anchors.find(nullptr); it != anchors.end())
    sayReady(it->second);
  for (Operation &op : gradBody.without_terminator()) {
    builder.clone(op, mapping);
    if (auto it = anchors.find(&op); it != anchors.end())
      sayReady(it->second);
  }
  Location loc = gradReturn->getLoc();
  for (auto [i, index] : llvm::enumerate(grad))
    writeBuffer(builder, loc, mapping.lookup(gradReturn->getOperand(1 + i)),
                entry.getArgument(index), /*restrict=*/true);
  Value loss = mapping.lookup(gradReturn->getOperand(0));
  func::ReturnOp::create(builder, loc,
                         tensor::ExtractOp::create(builder, loc, loss, ValueRange{})
                             .getResult());
}

// The runtime's element ranges: `ranges` is memref<Px2xi64>, row p holding
// [begin, end) of parameter p's elements in row-major order.
struct ElementRange {
  Value begin, length; // index
};

static ElementRange rangeOf(OpBuilder &builder, Location loc, Value ranges,
                            Value row) {
  auto load = [&](int64_t column) -> Value {
    Value col = arith::ConstantIndexOp::create(builder, loc, column);
    Value value =
        memref::LoadOp::create(builder, loc, ranges, ValueRange{row, col});
    return arith::IndexCastOp::create(builder, loc, builder.getIndexType(), value);
  };
  Value begin = load(0), end = load(1);
  return {begin, arith::SubIOp::create(builder, loc, end, begin)};
}

static MemRefType rangesType(MLIRContext *ctx, size_t params) {
  return MemRefType::get({static_cast<int64_t>(params), 2},
                         IntegerType::get(ctx, 64));
}

// A buffer as a 1-D row of its elements in row-major order (a view).
static Value flatten(OpBuilder &builder, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  if (type.getRank() == 0)
    return memref::ExpandShapeOp::create(builder, loc, ArrayRef<int64_t>{1},
                                         buffer, ArrayRef<ReassociationIndices>{});
  if (type.getRank() == 1)
    return buffer;
  return memref::CollapseShapeOp::create(
      builder, loc, buffer,
      ArrayRef<ReassociationIndices>{
          llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))});
}

// Elements [begin, begin + length) of a 1-D buffer.
static Value slice(OpBuilder &builder, Location loc, Value row,
                   OpFoldResult begin, Value length) {
  return memref::SubViewOp::create(builder, loc, row, ArrayRef{begin},
                                   ArrayRef<OpFoldResult>{length},
                                   ArrayRef<OpFoldResult>{builder.getIndexAttr(1)});
}

namespace {

// The functions that update, or sum the squares of, a range of one
// parameter's elements: one per parameter shape (and decay), shared by all
// parameters of that shape -- every layer's, so that the updates' code
// does not grow with depth. Each takes the parameter's buffers, the
// ranges and the parameter's row in them, and works on 1-D views of the
// range: a call per parameter is all its caller holds.
class RangeKernels {
public:
  RangeKernels(ModuleOp module) : module(module) {}

  // (grad, ranges, p) -> Σ grad[begin .. end)², [begin, end) = ranges[p]
  func::FuncOp sumSquares(MemRefType buffer, MemRefType ranges, Location loc);
  // (param, grad, state..., hyperparameters..., grad_scale[, step], ranges,
  // p): the optimizer's update of range ranges[p].
  func::FuncOp update(const OptimizerSpec &spec, MemRefType buffer,
                      MemRefType ranges, bool decay, Location loc);

private:
  // A kernel of the entry point `entry` (loom.entry).
  func::FuncOp create(StringRef name, StringRef entry, TypeRange inputs,
                      TypeRange results, Location loc);

  ModuleOp module;
  llvm::StringMap<func::FuncOp> kernels;
};

} // namespace

// A kernel's ops are located by its name, not by the parameter that first
// needed it: every parameter of its element count runs them (the profile
// reports "adamw.range.589824 in update_adamw").
static Location kernelLoc(StringRef name, Location parameter) {
  return NameLoc::get(StringAttr::get(parameter.getContext(), name));
}

func::FuncOp RangeKernels::create(StringRef name, StringRef entry,
                                  TypeRange inputs, TypeRange results,
                                  Location loc) {
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto function = func::FuncOp::create(builder, kernelLoc(name, loc), name,
                                       builder.getFunctionType(inputs, results));
  function.setPrivate();
  // Called once per parameter: inlined, the kernels would be compiled once
  // per parameter again (LLVM inlined the small ones, SGD's and the sums of
  // squares, everywhere).
  function.setNoInline(true);
  function->setAttr(kEntryAttr, builder.getStringAttr(entry));
  function.addEntryBlock();
  kernels[name] = function;
  return function;
}

// "768x2304", "768", "scalar": a kernel's name for the parameter shape.
static std::string shapeName(MemRefType type) {
  if (type.getRank() == 0)
    return "scalar";
  std::string name;
  for (int64_t dim : type.getShape())
    name += (name.empty() ? "" : "x") + std::to_string(dim);
  return name;
}

func::FuncOp RangeKernels::sumSquares(MemRefType buffer, MemRefType ranges,
                                      Location loc) {
  std::string name = "sum_squares.range." + shapeName(buffer);
  if (func::FuncOp existing = kernels.lookup(name))
    return existing;
  Builder b(module.getContext());
  func::FuncOp function = create(name, "grad_norm",
                                 {buffer, ranges, b.getIndexType()},
                                 {b.getF32Type()}, loc);
  loc = function.getLoc();
  Block &entry = function.front();
  OpBuilder builder = OpBuilder::atBlockEnd(&entry);
  ElementRange range =
      rangeOf(builder, loc, entry.getArgument(1), entry.getArgument(2));
  Value row = slice(builder, loc, flatten(builder, loc, entry.getArgument(0)),
                    range.begin, range.length);
  auto scalarType = RankedTensorType::get({}, builder.getF32Type());
  Value squares = SumSquaresOp::create(builder, loc, scalarType,
                                       readBuffer(builder, row, false));
  func::ReturnOp::create(
      builder, loc,
      tensor::ExtractOp::create(builder, loc, squares, ValueRange{}).getResult());
  return function;
}

func::FuncOp RangeKernels::update(const OptimizerSpec &spec, MemRefType buffer,
                                  MemRefType ranges, bool decay, Location loc) {
  decay = decay && spec.decays;
  std::string name = (spec.name + ".range." + shapeName(buffer) +
                      (decay ? ".decay" : ""))
                         .str();
  if (func::FuncOp existing = kernels.lookup(name))
    return existing;
  Builder b(module.getContext());
  SmallVector<Type> inputs(2 + spec.stateSlots.size(), buffer);
  inputs.append(spec.hyperparameters.size() + 1, b.getF32Type()); // + grad_scale
  if (spec.needsStep)
    inputs.push_back(b.getI64Type());
  inputs.append({ranges, b.getIndexType()});
  func::FuncOp function =
      create(name, ("update_" + spec.name).str(), inputs, {}, loc);
  loc = function.getLoc();
  Block &entry = function.front();
  OpBuilder builder = OpBuilder::atBlockEnd(&entry);
  unsigned slots = spec.stateSlots.size(), hypers = spec.hyperparameters.size();
  unsigned next = 2 + slots + hypers;
  Value gradScale = entry.getArgument(next++);
  Value step = spec.needsStep ? entry.getArgument(next++) : Value();
  ElementRange range = rangeOf(builder, loc, entry.getArgument(next),
                               entry.getArgument(next + 1));
  // The parameter and its gradient at `begin`; the state, which holds the
  // range alone, from its start.
  auto row = [&](unsigned argument, OpFoldResult begin) {
    return slice(builder, loc, flatten(builder, loc, entry.getArgument(argument)),
                 begin, range.length);
  };
  Value param = row(0, range.begin);
  Value grad = row(1, range.begin);
  SmallVector<Value> stateSlices, stateValues;
  for (unsigned s = 0; s < slots; ++s) {
    stateSlices.push_back(row(2 + s, builder.getIndexAttr(0)));
    stateValues.push_back(readBuffer(builder, stateSlices.back(), true));
  }
  UpdateInputs in{readBuffer(builder, param, true),
                  readBuffer(builder, grad, false),
                  stateValues,
                  entry.getArguments().slice(2 + slots, hypers),
                  gradScale,
                  step,
                  decay};
  SmallVector<Value> results = spec.buildUpdate(builder, loc, in);
  writeBuffer(builder, loc, results[0], param, false);
  for (auto [stateSlice, value] :
       llvm::zip(stateSlices, ArrayRef(results).drop_front()))
    writeBuffer(builder, loc, value, stateSlice, false);
  func::ReturnOp::create(builder, loc);
  return function;
}

// grad_norm(grads, ranges) -> √(Σ g²), over the elements of every gradient
// in its parameter's range.
static void buildGradNorm(OpBuilder &builder, func::FuncOp gradFn,
                          const ModelArguments &args, RangeKernels &kernels) {
  EntrySignature sig(builder.getContext());
  for (unsigned arg : args.params)
    sig.addNamed(bufferOf(gradFn.getArgument(arg).getType()),
                 kGradAttr, describeArgument(gradFn, arg).name,
                 gradFn.getArgument(arg).getLoc());
  Location loc = gradFn.getLoc();
  unsigned ranges = sig.addNamed(
      rangesType(builder.getContext(), args.params.size()), kHyperAttr,
      kRangesName, loc);
  func::FuncOp function =
      sig.create(builder, gradFn, "grad_norm", {builder.getF32Type()});
  Block &entry = function.front();
  Value total = arith::ConstantOp::create(builder, loc, builder.getF32FloatAttr(0.0f));
  Value rangesBuffer = entry.getArgument(ranges);
  for (unsigned p = 0; p < args.params.size(); ++p) {
    Value buffer = entry.getArgument(p);
    func::FuncOp kernel = kernels.sumSquares(
        cast<MemRefType>(buffer.getType()),
        cast<MemRefType>(rangesBuffer.getType()), loc);
    Value row = arith::ConstantIndexOp::create(builder, loc, p);
    Value squares =
        func::CallOp::create(builder, loc, kernel,
                             ValueRange{buffer, rangesBuffer, row})
            .getResult(0);
    total = arith::AddFOp::create(builder, loc, total, squares);
  }
  func::ReturnOp::create(builder, loc,
                         math::SqrtOp::create(builder, loc, total).getResult());
}

// update_<optimizer>(params, grads, state, hyperparameters, grad_scale[,
// step], ranges): parameter p is updated at its elements [begin, end) of
// ranges row p, from the same elements of its gradient, and its state
// buffers hold just those elements (state element j belongs to parameter
// element begin + j). The runtime passes whole ranges, or a ZeRO-1 shard
// with the state of that shard alone. Each parameter's update is a call of
// the kernel for its element count (RangeKernels).
static void buildUpdate(OpBuilder &builder, func::FuncOp gradFn,
                        const ModelArguments &args, const OptimizerSpec &spec,
                        RangeKernels &kernels) {
  MLIRContext *ctx = builder.getContext();
  EntrySignature sig(ctx);
  SmallVector<unsigned> param = sig.addBuffersOf(gradFn, args.params);
  SmallVector<unsigned> grad =
      sig.addBuffersLike(gradFn, args.params, kGradAttr);
  SmallVector<unsigned> hyper;
  // state[p][slot]: every parameter's first slot, then every second slot.
  SmallVector<SmallVector<unsigned>> state(args.params.size());
  for (StringRef slot : spec.stateSlots)
    for (auto [p, position] : llvm::enumerate(sig.addBuffersLike(
             gradFn, args.params, kStateAttr, ("." + slot).str())))
      state[p].push_back(position);
  Builder b(ctx);
  Location loc = gradFn.getLoc();
  for (StringRef name : spec.hyperparameters)
    hyper.push_back(sig.addNamed(b.getF32Type(), kHyperAttr,
                                 name, loc));
  unsigned gradScale =
      sig.addNamed(b.getF32Type(), kHyperAttr, "grad_scale", loc);
  std::optional<unsigned> step;
  if (spec.needsStep)
    step = sig.addNamed(b.getI64Type(), kHyperAttr, "step", loc);
  unsigned ranges = sig.addNamed(rangesType(ctx, args.params.size()),
                                 kHyperAttr, kRangesName, loc);

  func::FuncOp function =
      sig.create(builder, gradFn, ("update_" + spec.name).str(), {});
  Block &entry = function.front();
  for (auto [p, arg] : llvm::enumerate(args.params)) {
    Value paramBuffer = entry.getArgument(param[p]);
    Location paramLoc = paramBuffer.getLoc();
    SmallVector<Value> operands = {paramBuffer, entry.getArgument(grad[p])};
    for (unsigned s : state[p])
      operands.push_back(entry.getArgument(s));
    for (unsigned index : hyper)
      operands.push_back(entry.getArgument(index));
    operands.push_back(entry.getArgument(gradScale));
    if (step)
      operands.push_back(entry.getArgument(*step));
    Value rangesBuffer = entry.getArgument(ranges);
    operands.append(
        {rangesBuffer, arith::ConstantIndexOp::create(builder, paramLoc, p)});
    bool decay = cast<MemRefType>(paramBuffer.getType()).getRank() >= 2;
    func::CallOp::create(
        builder, paramLoc,
        kernels.update(spec, cast<MemRefType>(paramBuffer.getType()),
                       cast<MemRefType>(rangesBuffer.getType()), decay,
                       paramLoc),
        operands);
  }
  func::ReturnOp::create(builder, loc);
}

// eval_loss(F's arguments as buffers) -> loss, reading and changing nothing.
static void buildEvalLoss(OpBuilder &builder, func::FuncOp forward) {
  EntrySignature sig(builder.getContext());
  for (BlockArgument arg : forward.getArguments())
    sig.add(bufferOf(arg.getType()), forward.getArgAttrDict(arg.getArgNumber()),
            arg.getLoc());
  func::FuncOp function =
      sig.create(builder, forward, "eval_loss", {builder.getF32Type()});
  IRMapping mapping;
  for (auto [arg, buffer] :
       llvm::zip(forward.getArguments(), function.getArguments()))
    mapping.map(arg, readBuffer(builder, buffer, false));
  for (Operation &op : forward.front().without_terminator())
    builder.clone(op, mapping);
  Operation *ret = forward.front().getTerminator();
  Value loss = mapping.lookup(ret->getOperand(0));
  func::ReturnOp::create(
      builder, ret->getLoc(),
      tensor::ExtractOp::create(builder, ret->getLoc(), loss, ValueRange{})
          .getResult());
}

static LogicalResult buildTrainStep(ModuleOp module, func::FuncOp forward,
                                    func::FuncOp gradFn) {
  SmallVector<std::string> names = {"forward_backward", "grad_norm", "eval_loss"};
  for (const OptimizerSpec &spec : kOptimizers)
    names.push_back(("update_" + spec.name).str());
  for (const std::string &name : names)
    if (module.lookupSymbol(name))
      return gradFn.emitError("a function named '") << name << "' already exists";
  if (!gradFn.getBody().hasOneBlock() || !forward.getBody().hasOneBlock())
    return gradFn.emitError("expected single-block functions");
  ModelArguments args;
  for (auto [i, info] : llvm::enumerate(describeArguments(gradFn))) {
    if (info.role == ArgumentRole::param)
      args.params.push_back(i);
    else if (info.role == ArgumentRole::input)
      args.inputs.push_back(i);
    else
      return gradFn.emitError("argument #")
             << i << " is neither a parameter nor an input";
  }
  if (gradFn.getNumResults() != 1 + args.params.size())
    return gradFn.emitError("expected the loss and one gradient per parameter "
                            "as results");

  OpBuilder builder(module.getContext());
  RangeKernels kernels(module);
  // Each function is created right after F_grad; building them in reverse
  // order leaves them in the order of this list.
  for (const OptimizerSpec &spec : llvm::reverse(kOptimizers))
    buildUpdate(builder, gradFn, args, spec, kernels);
  buildGradNorm(builder, gradFn, args, kernels);
  buildForwardBackward(builder, gradFn, args);
  buildEvalLoss(builder, forward);
  gradFn.erase();
  forward.erase();
  return success();
}

namespace {
struct LoomBuildTrainStepPass
    : public mlir::loom::impl::LoomBuildTrainStepPassBase<LoomBuildTrainStepPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string forwardName = functionName;
    if (forwardName.empty()) {
      // The model: the function whose gradient -loom-autodiff derived.
      SmallVector<StringRef> models;
      for (auto function : module.getOps<func::FuncOp>())
        if (module.lookupSymbol(gradientFunctionName(function.getSymName())))
          models.push_back(function.getSymName());
      if (models.size() > 1) {
        module.emitError("several functions have gradients (")
            << llvm::join(models, ", ")
            << "); name the model with -loom-build-train-step=function=NAME";
        return signalPassFailure();
      }
      if (models.empty()) {
        module.emitError(
            "no function has a gradient (a NAME_grad function); run "
            "-loom-autodiff first");
        return signalPassFailure();
      }
      forwardName = models.front().str();
    }
    std::string gradName = gradientFunctionName(forwardName);
    auto gradFn = module.lookupSymbol<func::FuncOp>(gradName);
    if (!gradFn) {
      module.emitError("no gradient function '")
          << gradName << "'; run -loom-autodiff first";
      return signalPassFailure();
    }
    auto forward = module.lookupSymbol<func::FuncOp>(forwardName);
    if (!forward) {
      module.emitError("no forward function '") << forwardName << "'";
      return signalPassFailure();
    }
    if (failed(buildTrainStep(module, forward, gradFn)))
      signalPassFailure();
  }
};
} // namespace
