//===- BuildInference.cpp - Prefill and decode with a key/value cache -----===//
//
// From the forward function of a causal language model -- tokens [B, T] to
// logits [B, T, V] to cross_entropy -- builds the two inference entry
// points over caller-owned buffers:
//
//   prefill(params, caches, tokens [Bs, P], position, logits [Bs, P, V])
//   decode (params, caches, tokens [Bs, 1], position, logits [Bs, 1, V])
//
// Only the ops the logits need are kept (no loss, no targets). Every such
// op must act on each position on its own, except three that this pass
// rewrites to read the run-time position: the rows of a learned position
// table (a slice marked loom.positions), rope (its angles at position + t)
// and attention (loom.cached_attention, which appends the new keys and
// values to the cache and attends over it). An op that mixes positions in
// any other way makes the model one without inference entry points: the
// reason is kept on the module (loom.no_inference) for the runtime to
// report, and training is unaffected.
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMBUILDINFERENCEPASS
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

// What a value of the forward pass is, as far as inference is concerned.
enum class Kind {
  invariant, // the same for every token: parameters and what only they feed
  perToken,  // [B, T, ...]: one row per token, computed from that token
  positions, // [T, ...]: the rows of a position table for positions 0..T-1
};

// The forward pass as inference sees it: the ops the logits need, in order,
// and the kind of each value they produce.
struct LanguageModel {
  func::FuncOp forward;
  BlockArgument tokens;
  Value logits;
  int64_t batch = 0, seq = 0, vocab = 0;
  int64_t positionTableRows = 0; // the smallest position table; 0: none
  SmallVector<Operation *> ops;
  DenseMap<Value, Kind> kinds;
  SmallVector<AttentionOp> attentions;

  Kind kindOf(Value value) const {
    auto it = kinds.find(value);
    return it == kinds.end() ? Kind::invariant : it->second;
  }
};

std::string describe(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "'" << op->getName() << "' at " << op->getLoc();
  return text;
}

// The kind of the result of `op` given its operands' kinds, or a reason why
// inference cannot compute it position by position.
FailureOr<Kind> classify(Operation *op, const LanguageModel &model,
                         std::string &reason) {
  auto kind = [&](Value v) { return model.kindOf(v); };
  bool anyVarying = llvm::any_of(op->getOperands(), [&](Value v) {
    return kind(v) != Kind::invariant;
  });
  if (auto slice = dyn_cast<SliceOp>(op); slice && slice->hasAttr(kPositionsAttr)) {
    if (kind(slice.getInput()) == Kind::invariant && slice.getDim() == 0 &&
        !slice.getPosition())
      return Kind::positions;
    reason = describe(op) + " is marked as position rows but is not a slice "
                            "of a parameter's rows";
    return failure();
  }
  if (!anyVarying)
    return Kind::invariant;
  auto fail = [&](const Twine &why) -> FailureOr<Kind> {
    reason = (describe(op) + " " + why).str();
    return failure();
  };
  return llvm::TypeSwitch<Operation *, FailureOr<Kind>>(op)
      .Case([&](EmbeddingOp embedding) -> FailureOr<Kind> {
        if (embedding.getIds() != model.tokens ||
            kind(embedding.getTable()) != Kind::invariant)
          return fail("gathers rows of a computed table");
        return Kind::perToken;
      })
      .Case([&](AddOp add) -> FailureOr<Kind> {
        Kind lhs = kind(add.getLhs()), rhs = kind(add.getRhs());
        if (lhs != Kind::perToken)
          std::swap(lhs, rhs);
        Value other = kind(add.getLhs()) == Kind::perToken ? add.getRhs()
                                                           : add.getLhs();
        auto otherType = cast<RankedTensorType>(other.getType());
        bool ok = lhs == Kind::perToken &&
                  (rhs == Kind::perToken || rhs == Kind::positions ||
                   otherType.getRank() == 1);
        if (!ok)
          return fail("adds a value that is not per token, per position or "
                      "per feature");
        return Kind::perToken;
      })
      .Case<LayerNormOp, RmsNormOp, GeluOp, GeluErfOp, ReluOp, TanhOp, SiluOp,
            SwigluOp>([&](Operation *) -> FailureOr<Kind> {
        for (Value operand : op->getOperands())
          if (kind(operand) == Kind::positions)
            return fail("reads position rows directly");
        return Kind::perToken;
      })
      .Case([&](MatmulOp matmul) -> FailureOr<Kind> {
        if (kind(matmul.getLhs()) != Kind::perToken ||
            kind(matmul.getRhs()) != Kind::invariant || matmul.getTransposeLhs())
          return fail("multiplies across tokens");
        return Kind::perToken;
      })
      .Case([&](SliceOp slice) -> FailureOr<Kind> {
        if (kind(slice.getInput()) != Kind::perToken ||
            static_cast<int64_t>(slice.getDim()) + 1 != slice.getInput().getType().getRank())
          return fail("slices across tokens");
        return Kind::perToken;
      })
      .Case([&](RopeOp rope) -> FailureOr<Kind> {
        if (rope.getPosition())
          return fail("already reads a run-time position");
        return Kind::perToken;
      })
      .Case([&](AttentionOp attention) -> FailureOr<Kind> {
        if (!llvm::all_of(op->getOperands(), [&](Value v) {
              return kind(v) == Kind::perToken;
            }))
          return fail("attends over values that are not per token");
        if (!attention.getLogsumexp().use_empty() &&
            llvm::any_of(attention.getLogsumexp().getUsers(), [&](Operation *user) {
              return llvm::is_contained(model.ops, user);
            }))
          return fail("has its log-sum-exp read by the logits");
        return Kind::perToken;
      })
      .Default([&](Operation *) {
        return fail("mixes the positions of a sequence in a way inference "
                    "cannot compute one token at a time");
      });
}

// Finds the tokens and logits of `forward` and the ops between them, or
// says why it is not a causal language model inference can be built for.
FailureOr<LanguageModel> analyze(func::FuncOp forward, std::string &reason) {
  LanguageModel model;
  model.forward = forward;
  if (!forward.getBody().hasOneBlock()) {
    reason = "the forward function has several blocks";
    return failure();
  }
  Operation *ret = forward.front().getTerminator();
  auto loss = ret->getNumOperands() ? ret->getOperand(0).getDefiningOp<CrossEntropyOp>()
                                    : CrossEntropyOp();
  if (!loss) {
    reason = "the loss is not cross_entropy of logits: not a language model";
    return failure();
  }
  model.logits = loss.getLogits();
  auto logitsType = cast<RankedTensorType>(model.logits.getType());
  if (logitsType.getRank() != 3) {
    reason = "the logits are not [batch, seq, vocab]";
    return failure();
  }
  model.batch = logitsType.getDimSize(0);
  model.seq = logitsType.getDimSize(1);
  model.vocab = logitsType.getDimSize(2);

  // The ops the logits need: their backward slice.
  llvm::SetVector<Operation *> needed;
  SmallVector<Value> worklist{model.logits};
  llvm::SmallSetVector<BlockArgument, 4> inputs;
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (describeArgument(forward, arg.getArgNumber()).role == ArgumentRole::input)
        inputs.insert(arg);
      continue;
    }
    Operation *op = value.getDefiningOp();
    if (!needed.insert(op))
      continue;
    if (op->getNumRegions() != 0) {
      reason = describe(op) + " has regions";
      return failure();
    }
    llvm::append_range(worklist, op->getOperands());
  }
  if (inputs.size() != 1) {
    reason = inputs.empty() ? "the logits read no token input"
                            : "the logits read several inputs";
    return failure();
  }
  model.tokens = inputs.front();
  auto tokensType = cast<RankedTensorType>(model.tokens.getType());
  if (!tokensType.getElementType().isInteger(32) ||
      tokensType.getShape() != ArrayRef<int64_t>{model.batch, model.seq}) {
    reason = "the token input is not i32 [batch, seq] like the logits";
    return failure();
  }
  for (Operation &op : forward.front().without_terminator())
    if (needed.contains(&op))
      model.ops.push_back(&op);

  model.kinds[model.tokens] = Kind::perToken;
  for (Operation *op : model.ops) {
    FailureOr<Kind> kind = classify(op, model, reason);
    if (failed(kind))
      return failure();
    for (Value result : op->getResults()) {
      if (*kind == Kind::invariant)
        continue;
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (auto attention = dyn_cast<AttentionOp>(op);
          attention && result == attention.getLogsumexp())
        continue;
      bool shaped = type && (*kind == Kind::positions
                                 ? type.getRank() >= 1 && type.getDimSize(0) == model.seq
                                 : type.getRank() >= 2 &&
                                       type.getDimSize(0) == model.batch &&
                                       type.getDimSize(1) == model.seq);
      if (!shaped) {
        reason = describe(op) + " has a result not shaped [batch, seq, ...]";
        return failure();
      }
      model.kinds[result] = *kind;
    }
    if (auto slice = dyn_cast<SliceOp>(op); slice && *kind == Kind::positions) {
      int64_t rows = slice.getInput().getType().getDimSize(0) - slice.getOffset();
      model.positionTableRows = model.positionTableRows
                                    ? std::min(model.positionTableRows, rows)
                                    : rows;
    }
    if (auto attention = dyn_cast<AttentionOp>(op))
      model.attentions.push_back(attention);
  }
  if (model.attentions.empty()) {
    reason = "the model has no attention: nothing to cache";
    return failure();
  }
  return model;
}

MemRefType bufferOf(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

Value readBuffer(OpBuilder &builder, Value buffer, bool writable) {
  auto type = cast<MemRefType>(buffer.getType());
  return bufferization::ToTensorOp::create(
      builder, buffer.getLoc(),
      RankedTensorType::get(type.getShape(), type.getElementType()), buffer,
      /*restrict=*/true, writable);
}

// The sizes of one inference entry point.
struct EntryShape {
  int64_t batch, length, context;
};

// The type of a value of the forward pass in an entry point of `shape`.
Type resized(Type type, Kind kind, EntryShape shape) {
  auto tensor = cast<RankedTensorType>(type);
  SmallVector<int64_t> dims(tensor.getShape());
  if (kind == Kind::positions) {
    dims[0] = shape.length;
  } else if (kind == Kind::perToken) {
    dims[0] = shape.batch;
    dims[1] = shape.length;
  }
  return RankedTensorType::get(dims, tensor.getElementType());
}

StringAttr nameAttr(Builder &b, StringRef name) { return b.getStringAttr(name); }

// Builds `name(params, caches, tokens, position, logits)` after `after`.
func::FuncOp buildEntry(OpBuilder &builder, Operation *after,
                        const LanguageModel &model, StringRef name,
                        EntryShape shape) {
  func::FuncOp forward = model.forward;
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  SmallVector<Location> locs;
  auto add = [&](Type type, DictionaryAttr dict, Location loc) {
    types.push_back(type);
    attrs.push_back(dict);
    locs.push_back(loc);
    return types.size() - 1;
  };
  auto named = [&](StringRef attr, StringRef value) {
    return builder.getDictionaryAttr(
        builder.getNamedAttr(attr, nameAttr(builder, value)));
  };
  SmallVector<std::pair<unsigned, unsigned>> params; // (forward arg, entry arg)
  for (BlockArgument arg : forward.getArguments())
    if (describeArgument(forward, arg.getArgNumber()).role == ArgumentRole::param)
      params.push_back({arg.getArgNumber(),
                        add(bufferOf(arg.getType()),
                            forward.getArgAttrDict(arg.getArgNumber()), arg.getLoc())});
  SmallVector<std::pair<unsigned, unsigned>> caches; // (key, value) per attention
  for (auto [index, attentionOp] : llvm::enumerate(model.attentions)) {
    AttentionOp attention = attentionOp;
    auto key = attention.getKey().getType();
    auto type = MemRefType::get({shape.batch, shape.context, key.getDimSize(2)},
                                key.getElementType());
    std::string prefix = "cache." + std::to_string(index);
    unsigned k = add(type, named(kCacheAttr, prefix + ".key"), attention.getLoc());
    unsigned v = add(type, named(kCacheAttr, prefix + ".value"), attention.getLoc());
    caches.push_back({k, v});
  }
  unsigned tokens = add(MemRefType::get({shape.batch, shape.length},
                                        builder.getI32Type()),
                        named(kInferenceAttr, "tokens"), model.tokens.getLoc());
  unsigned position = add(builder.getI64Type(), named(kInferenceAttr, "position"),
                          forward.getLoc());
  unsigned logits =
      add(MemRefType::get({shape.batch, shape.length, model.vocab},
                          builder.getF32Type()),
          named(kInferenceAttr, "logits"), model.logits.getLoc());

  builder.setInsertionPointAfter(after);
  auto function = func::FuncOp::create(builder, forward.getLoc(), name,
                                       builder.getFunctionType(types, {}));
  function.setAllArgAttrs(ArrayRef<DictionaryAttr>(attrs));
  Block *entry = function.addEntryBlock();
  for (auto [arg, loc] : llvm::zip(entry->getArguments(), locs))
    arg.setLoc(loc);
  builder.setInsertionPointToStart(entry);

  IRMapping mapping;
  for (auto [forwardArg, entryArg] : params)
    mapping.map(forward.getArgument(forwardArg),
                readBuffer(builder, entry->getArgument(entryArg), false));
  mapping.map(model.tokens, readBuffer(builder, entry->getArgument(tokens), false));
  Value at = arith::IndexCastOp::create(builder, forward.getLoc(),
                                        builder.getIndexType(),
                                        entry->getArgument(position));
  SmallVector<Value> cacheValues;
  for (auto [k, v] : caches) {
    cacheValues.push_back(readBuffer(builder, entry->getArgument(k), true));
    cacheValues.push_back(readBuffer(builder, entry->getArgument(v), true));
  }

  unsigned attentionIndex = 0;
  for (Operation *op : model.ops) {
    Kind kind = model.kindOf(op->getResult(0));
    auto typeOf = [&](Value v) { return resized(v.getType(), model.kindOf(v), shape); };
    Location loc = op->getLoc();
    if (auto slice = dyn_cast<SliceOp>(op); slice && kind == Kind::positions) {
      auto rows = SliceOp::create(builder, loc, typeOf(slice.getResult()),
                                  mapping.lookup(slice.getInput()),
                                  slice.getDimAttr(), slice.getOffsetAttr(), at);
      rows->setAttr(kPositionsAttr, builder.getUnitAttr());
      mapping.map(slice.getResult(), rows.getResult());
    } else if (auto rope = dyn_cast<RopeOp>(op); rope && kind == Kind::perToken) {
      Value input = mapping.lookup(rope.getInput());
      auto rotated = RopeOp::create(builder, loc, input.getType(), input, at,
                                    builder.getI64IntegerAttr(shape.context),
                                    rope.getHeadsAttr(), rope.getThetaAttr(),
                                    rope.getInverseAttr());
      mapping.map(rope.getResult(), rotated.getResult());
    } else if (auto attention = dyn_cast<AttentionOp>(op)) {
      Value &keyCache = cacheValues[2 * attentionIndex];
      Value &valueCache = cacheValues[2 * attentionIndex + 1];
      Value query = mapping.lookup(attention.getQuery());
      auto cached = CachedAttentionOp::create(
          builder, loc, query.getType(), keyCache.getType(), valueCache.getType(),
          query, mapping.lookup(attention.getKey()),
          mapping.lookup(attention.getValue()), keyCache, valueCache, at,
          attention.getHeadsAttr(), attention.getKvHeadsAttr());
      mapping.map(attention.getOutput(), cached.getOutput());
      keyCache = cached.getNewKeyCache();
      valueCache = cached.getNewValueCache();
      ++attentionIndex;
    } else {
      Operation *clone = builder.clone(*op, mapping);
      for (auto [original, result] : llvm::zip(op->getResults(), clone->getResults()))
        result.setType(typeOf(original));
    }
  }

  Location loc = model.logits.getLoc();
  bufferization::MaterializeInDestinationOp::create(
      builder, loc, TypeRange{}, mapping.lookup(model.logits),
      entry->getArgument(logits), /*restrict=*/true, /*writable=*/true);
  for (auto [index, cache] : llvm::enumerate(caches)) {
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, TypeRange{}, cacheValues[2 * index],
        entry->getArgument(cache.first), /*restrict=*/false, /*writable=*/true);
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, TypeRange{}, cacheValues[2 * index + 1],
        entry->getArgument(cache.second), /*restrict=*/false, /*writable=*/true);
  }
  func::ReturnOp::create(builder, loc);
  return function;
}

struct LoomBuildInferencePass
    : public mlir::loom::impl::LoomBuildInferencePassBase<LoomBuildInferencePass> {
  using Base::Base;

  // No inference entry points, and why: the reason stays on the module
  // for loomc and the executable to report (not a remark: remarks are the
  // fusion report's lines).
  void unavailable(ModuleOp module, const Twine &why) {
    module->setAttr(kNoInferenceAttr,
                    StringAttr::get(module.getContext(), why.str()));
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(functionName);
    if (!forward) {
      module.emitError("no forward function '") << functionName << "'";
      return signalPassFailure();
    }
    for (StringRef name : {"prefill", "decode"})
      if (module.lookupSymbol(name)) {
        module.emitError("a function named '") << name << "' already exists";
        return signalPassFailure();
      }
    std::string reason;
    FailureOr<LanguageModel> model = analyze(forward, reason);
    if (failed(model))
      return unavailable(module, reason);

    // The cache's length: --context, else the model's ctx constant, else
    // its position table, else its training window.
    int64_t ctx = context;
    if (ctx == 0) {
      if (auto declared = module->getAttrOfType<IntegerAttr>(kContextAttr))
        ctx = declared.getInt();
      else if (model->positionTableRows)
        ctx = model->positionTableRows;
      else
        ctx = model->seq;
    }
    if (ctx < 1) {
      module.emitError("the inference context must be at least 1, got ") << ctx;
      return signalPassFailure();
    }
    if (model->positionTableRows && ctx > model->positionTableRows) {
      module.emitError("the inference context of ")
          << ctx << " positions exceeds the " << model->positionTableRows
          << " rows of the model's position table";
      return signalPassFailure();
    }
    int64_t length = prefillLength ? int64_t(prefillLength)
                                   : std::min<int64_t>(model->seq, ctx);
    if (length < 1 || length > ctx) {
      module.emitError("the prefill length must be 1 to the context (")
          << ctx << "), got " << length;
      return signalPassFailure();
    }
    if (sampleBatch < 1) {
      module.emitError("the sample batch must be at least 1, got ")
          << int64_t(sampleBatch);
      return signalPassFailure();
    }
    OpBuilder builder(module.getContext());
    func::FuncOp decode = buildEntry(builder, forward, *model, "decode",
                                     {sampleBatch, 1, ctx});
    func::FuncOp prefill = buildEntry(builder, forward, *model, "prefill",
                                      {sampleBatch, length, ctx});
    module->setAttr(kContextAttr, builder.getI64IntegerAttr(ctx));
    for (func::FuncOp function : {prefill, decode})
      if (failed(mlir::verify(function))) {
        function.emitError("internal error: the inference entry point "
                           "does not verify");
        return signalPassFailure();
      }
  }
};

} // namespace
