//===- ModelDescription.cpp - The tensor table a model's executable uses --===//

#include "compiler/codegen/ModelDescription.h"
#include "compiler/codegen/OpCost.h"
#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
namespace ops = mlir::loom;

namespace loomc {

static loom_role roleOf(ops::ArgumentRole role) {
  switch (role) {
  case ops::ArgumentRole::param:
    return LOOM_ROLE_PARAM;
  case ops::ArgumentRole::grad:
    return LOOM_ROLE_GRAD;
  case ops::ArgumentRole::state:
    return LOOM_ROLE_STATE;
  case ops::ArgumentRole::cache:
    return LOOM_ROLE_CACHE;
  default:
    return LOOM_ROLE_INPUT;
  }
}

// The exclusive upper bound of the indices an i32 input holds: the class
// count of a cross_entropy that reads it as labels, the rows of a table an
// embedding gathers with it; the smallest when several do.
static int64_t indexBoundOf(BlockArgument buffer) {
  int64_t bound = 0;
  auto tighten = [&](int64_t limit) {
    bound = bound == 0 ? limit : std::min(bound, limit);
  };
  for (Operation *toTensor : buffer.getUsers())
    for (OpOperand &use : toTensor->getUses()) {
      if (auto ce = dyn_cast<ops::CrossEntropyOp>(use.getOwner());
          ce && use.get() == ce.getLabels())
        tighten(ce.getLogits().getType().getShape().back());
      if (auto embedding = dyn_cast<ops::EmbeddingOp>(use.getOwner());
          embedding && use.get() == embedding.getIds())
        tighten(embedding.getTable().getType().getDimSize(0));
    }
  return bound;
}

static TensorDescription describeTensor(func::FuncOp function, unsigned index) {
  ops::ArgumentInfo info = ops::describeArgument(function, index);
  auto memref = cast<MemRefType>(function.getArgument(index).getType());
  TensorDescription tensor;
  tensor.name = info.name.str();
  tensor.role = roleOf(info.role);
  tensor.dtype = memref.getElementType().isF32() ? LOOM_DTYPE_F32 : LOOM_DTYPE_I32;
  tensor.shape.assign(memref.getShape().begin(), memref.getShape().end());
  if (info.role == ops::ArgumentRole::param && info.init) {
    tensor.init = static_cast<loom_init_kind>(info.init.getKind());
    tensor.initA = info.init.getA().convertToDouble();
    tensor.initB = info.init.getB().convertToDouble();
  }
  if (info.role == ops::ArgumentRole::input)
    tensor.indexBound = indexBoundOf(function.getArgument(index));
  return tensor;
}

// Maps each argument of `function` to the table or the runtime's scalars.
static FailureOr<EntryFunction>
describeEntry(func::FuncOp function, const std::vector<TensorDescription> &tensors,
              ArrayRef<std::string> hyperNames) {
  EntryFunction entry;
  entry.symbol = function.getSymName().str();
  for (unsigned i = 0, e = function.getNumArguments(); i < e; ++i) {
    ops::ArgumentInfo info = ops::describeArgument(function, i);
    EntryArgument arg;
    if (info.role == ops::ArgumentRole::inference) {
      if (info.name == "tokens")
        arg.kind = EntryArgument::Kind::tokens;
      else if (info.name == "position")
        arg.kind = EntryArgument::Kind::position;
      else if (info.name == "logits")
        arg.kind = EntryArgument::Kind::logits;
      else
        return function.emitError("unexpected inference argument '")
               << info.name << "'";
    } else if (info.role == ops::ArgumentRole::hyper) {
      if (info.name == "grad_scale") {
        arg.kind = EntryArgument::Kind::gradScale;
      } else if (info.name == "step") {
        arg.kind = EntryArgument::Kind::step;
      } else if (info.name == ops::kRangesName) {
        arg.kind = EntryArgument::Kind::ranges;
      } else {
        auto it = llvm::find(hyperNames, info.name.str());
        if (it == hyperNames.end())
          return function.emitError("unexpected hyperparameter '") << info.name << "'";
        arg.kind = EntryArgument::Kind::hyper;
        arg.index = it - hyperNames.begin();
      }
    } else {
      auto it = llvm::find_if(tensors, [&](const TensorDescription &t) {
        return t.name == info.name && t.role == roleOf(info.role);
      });
      if (it == tensors.end())
        return function.emitError("argument '")
               << info.name << "' is not in the model's tensor table";
      arg.kind = EntryArgument::Kind::buffer;
      arg.index = it - tensors.begin();
    }
    entry.args.push_back(arg);
  }
  return entry;
}


// The gradients in the order forward_backward says they are final
// (loom.gradient_ready), each once. -loom-lower-gradient-ready may still
// move the calls; readGradientReadyOrder reads their final order.
static FailureOr<std::vector<int32_t>>
gradientReadyOrder(func::FuncOp forwardBackward) {
  std::vector<int32_t> order;
  unsigned gradients = llvm::count_if(
      ops::describeArguments(forwardBackward), [](const ops::ArgumentInfo &info) {
        return info.role == ops::ArgumentRole::grad;
      });
  llvm::SmallBitVector seen(gradients);
  WalkResult walked = forwardBackward.walk([&](ops::GradientReadyOp ready) {
    unsigned index = ready.getGradientIndex();
    if (seen.test(index)) {
      ready.emitError("a gradient said ready twice");
      return WalkResult::interrupt();
    }
    seen.set(index);
    order.push_back(index);
    return WalkResult::advance();
  });
  if (walked.wasInterrupted())
    return failure();
  if (order.size() != gradients)
    return forwardBackward.emitError("forward_backward says ")
           << order.size() << " of its " << gradients
           << " gradients ready (loom.gradient_ready); it must say each once";
  return order;
}

// The inference entry points and their caches, appended to the table.
static LogicalResult describeInference(ModuleOp module,
                                       ModelDescription &description) {
  InferenceDescription &inference = description.inference;
  auto prefill = module.lookupSymbol<func::FuncOp>("prefill");
  auto decode = module.lookupSymbol<func::FuncOp>("decode");
  if (!prefill || !decode) {
    auto reason = module->getAttrOfType<StringAttr>(mlir::loom::kNoInferenceAttr);
    inference.unavailable =
        reason ? reason.str() : "loomc built no inference entry points";
    return success();
  }
  for (unsigned i = 0, e = prefill.getNumArguments(); i < e; ++i) {
    ops::ArgumentInfo info = ops::describeArgument(prefill, i);
    auto type = dyn_cast<MemRefType>(prefill.getArgument(i).getType());
    if (info.role == ops::ArgumentRole::cache)
      description.tensors.push_back(describeTensor(prefill, i));
    if (info.role == ops::ArgumentRole::inference && info.name == "tokens" && type) {
      inference.batch = type.getDimSize(0);
      inference.prefillLength = type.getDimSize(1);
    }
    if (info.role == ops::ArgumentRole::inference && info.name == "logits" && type)
      inference.vocab = type.getDimSize(2);
  }
  auto context = module->getAttrOfType<IntegerAttr>(mlir::loom::kContextAttr);
  inference.context = context ? context.getInt() : 0;
  for (auto [function, entry] : {std::make_pair(prefill, &inference.prefill),
                                 std::make_pair(decode, &inference.decode)}) {
    FailureOr<EntryFunction> described =
        describeEntry(function, description.tensors, {});
    if (failed(described))
      return failure();
    *entry = std::move(*described);
  }
  inference.decodeFlops = 0;
  decode.walk([&](Operation *op) { inference.decodeFlops += codegen::productFlops(op); });
  inference.available = true;
  return success();
}

FailureOr<ModelDescription> describeModel(ModuleOp module, bool fused) {
  auto forwardBackward = module.lookupSymbol<func::FuncOp>("forward_backward");
  auto gradNorm = module.lookupSymbol<func::FuncOp>("grad_norm");
  auto evalLoss = module.lookupSymbol<func::FuncOp>("eval_loss");
  if (!forwardBackward || !gradNorm || !evalLoss)
    return module.emitError("expected the functions of loom-build-train-step");

  ModelDescription description;
  description.fused = fused;
  if (auto name = module->getAttrOfType<StringAttr>(mlir::loom::kModelAttr))
    description.modelName = name.getValue().str();
  else
    description.modelName = "model";

  // Parameters and gradients, then the state of each optimizer, then inputs.
  std::vector<TensorDescription> inputs;
  for (unsigned i = 0, e = forwardBackward.getNumArguments(); i < e; ++i) {
    TensorDescription tensor = describeTensor(forwardBackward, i);
    (tensor.role == LOOM_ROLE_INPUT ? inputs : description.tensors)
        .push_back(std::move(tensor));
  }
  SmallVector<func::FuncOp> updates;
  for (auto function : module.getOps<func::FuncOp>())
    if (function.isPublic() && function.getSymName().starts_with("update_"))
      updates.push_back(function);
  for (func::FuncOp update : updates) {
    OptimizerDescription optimizer;
    optimizer.name = update.getSymName().drop_front(strlen("update_")).str();
    for (unsigned i = 0, e = update.getNumArguments(); i < e; ++i) {
      ops::ArgumentInfo info = ops::describeArgument(update, i);
      if (info.role == ops::ArgumentRole::state) {
        TensorDescription tensor = describeTensor(update, i);
        tensor.optimizer = description.optimizers.size();
        description.tensors.push_back(std::move(tensor));
      } else if (info.role == ops::ArgumentRole::hyper &&
                 info.name != "grad_scale" && info.name != "step" &&
                 info.name != ops::kRangesName) {
        optimizer.hyperNames.push_back(info.name.str());
      }
    }
    description.optimizers.push_back(std::move(optimizer));
  }
  for (TensorDescription &input : inputs)
    description.tensors.push_back(std::move(input));
  if (failed(describeInference(module, description)))
    return failure();

  for (auto [optimizer, update] : llvm::zip(description.optimizers, updates)) {
    FailureOr<EntryFunction> entry =
        describeEntry(update, description.tensors, optimizer.hyperNames);
    if (failed(entry))
      return failure();
    optimizer.update = std::move(*entry);
  }
  for (auto [function, entry] :
       {std::make_pair(forwardBackward, &description.forwardBackward),
        std::make_pair(gradNorm, &description.gradNorm),
        std::make_pair(evalLoss, &description.evalLoss)}) {
    FailureOr<EntryFunction> described = describeEntry(function, description.tensors, {});
    if (failed(described))
      return failure();
    *entry = std::move(*described);
  }

  FailureOr<std::vector<int32_t>> order = gradientReadyOrder(forwardBackward);
  if (failed(order))
    return failure();
  description.gradientReadyOrder = std::move(*order);

  // The matrix products of the step (OpCost.h): 2·M·N·K each, attention's
  // halved by the causal mask.
  description.trainStepFlops = 0;
  forwardBackward.walk(
      [&](Operation *op) { description.trainStepFlops += codegen::productFlops(op); });
  return description;
}

void readGradientReadyOrder(ModuleOp module, ModelDescription &description) {
  auto forwardBackward = module.lookupSymbol<func::FuncOp>("forward_backward");
  if (!forwardBackward)
    return;
  auto recorded = forwardBackward->getAttrOfType<DenseI32ArrayAttr>(
      mlir::loom::kGradientReadyOrderAttr);
  if (!recorded)
    return;
  std::vector<int32_t> order(recorded.asArrayRef().begin(),
                             recorded.asArrayRef().end());
  std::vector<int32_t> sorted(order);
  llvm::sort(sorted);
  // The same gradients, each once, in their final order.
  std::vector<int32_t> expected(description.gradientReadyOrder);
  llvm::sort(expected);
  if (sorted == expected)
    description.gradientReadyOrder = std::move(order);
}

// Every entry function of the description (const or not, as it is).
template <typename Description>
static auto entryFunctions(Description &description) {
  SmallVector<decltype(&description.forwardBackward)> entries = {
      &description.forwardBackward, &description.gradNorm,
      &description.evalLoss};
  for (auto &optimizer : description.optimizers)
    entries.push_back(&optimizer.update);
  if (description.inference.available) {
    entries.push_back(&description.inference.prefill);
    entries.push_back(&description.inference.decode);
  }
  return entries;
}

void annotateTableIndices(ModuleOp module, const ModelDescription &description) {
  Builder builder(module.getContext());
  for (const EntryFunction *entry : entryFunctions(description)) {
    auto function = module.lookupSymbol<func::FuncOp>(entry->symbol);
    if (!function)
      continue;
    for (auto [position, arg] : llvm::enumerate(entry->args))
      if (arg.kind == EntryArgument::Kind::buffer)
        function.setArgAttr(position, mlir::loom::kTableIndexAttr,
                            builder.getI64IntegerAttr(arg.index));
  }
}

LogicalResult readBufferTables(ModuleOp module, ModelDescription &description) {
  for (EntryFunction *entry : entryFunctions(description)) {
    auto function = module.lookupSymbol<func::FuncOp>(entry->symbol);
    if (!function)
      continue;
    unsigned arguments = function.getNumArguments();
    if (arguments == entry->args.size())
      continue;
    // -loom-roll-repeated-calls appends the table, once.
    if (arguments != entry->args.size() + 1 ||
        !function.getArgAttr(arguments - 1, mlir::loom::kBufferTableAttr))
      return function.emitError("expected the arguments the model's "
                                "description lists, and at most the table "
                                "of buffers after them");
    entry->args.push_back({EntryArgument::Kind::table, 0});
  }
  return success();
}

int64_t ModelDescription::largestArenaBytes() const {
  int64_t largest = 0;
  for (const ArenaPlan &arena : arenas)
    largest = std::max(largest, arena.bytes);
  return largest;
}

int64_t ModelDescription::arenaBytesOf(ArrayRef<StringRef> functions) const {
  int64_t largest = 0;
  for (const ArenaPlan &arena : arenas)
    if (llvm::is_contained(functions, arena.function))
      largest = std::max(largest, arena.bytes);
  return largest;
}

int64_t ModelDescription::tableBytes(loom_role role, int optimizer) const {
  int64_t bytes = 0;
  for (const TensorDescription &tensor : tensors) {
    if (tensor.role != role || (optimizer >= 0 && tensor.optimizer != optimizer))
      continue;
    int64_t elements = 1;
    for (int64_t dim : tensor.shape)
      elements *= dim;
    bytes += elements * 4; // f32 and i32 alike
  }
  return bytes;
}

// The arena attributes -loom-plan-memory recorded on `function`.
static ArenaPlan ownArena(func::FuncOp function) {
  auto read = [&](StringRef name) -> int64_t {
    auto attr = function->getAttrOfType<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  ArenaPlan arena;
  arena.function = function.getSymName().str();
  arena.bytes = read(mlir::loom::kArenaBytesAttr);
  arena.buffers = read(mlir::loom::kArenaBuffersAttr);
  arena.lowerBound = read(mlir::loom::kArenaLowerBoundAttr);
  arena.withoutReuse = read(mlir::loom::kUnplannedBytesAttr);
  arena.allocationsLeft = read(mlir::loom::kAllocsLeftAttr);
  arena.largestLeft = read(mlir::loom::kLargestLeftAttr);
  return arena;
}

// How often `call` runs per call of its function: once, or once per
// iteration of the loops with constant bounds around it (a loop over the
// layers, -loom-roll-repeated-calls).
static int64_t timesCalled(func::CallOp call) {
  int64_t times = 1;
  for (auto loop = call->getParentOfType<scf::ForOp>(); loop;
       loop = loop->getParentOfType<scf::ForOp>())
    if (std::optional<APInt> trips = loop.getStaticTripCount())
      times *= trips->getSExtValue();
  return times;
}

void readMemoryPlan(ModuleOp module, ModelDescription &description) {
  description.arenas.clear();
  for (auto function : module.getOps<func::FuncOp>()) {
    if (!function.isPublic() || !function->hasAttr(mlir::loom::kArenaBytesAttr))
      continue;
    ArenaPlan arena = ownArena(function);
    // The functions it calls, each counted once however often called.
    llvm::SmallPtrSet<Operation *, 8> counted;
    function.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return;
      ArenaPlan inner = ownArena(callee);
      if (inner.bytes == 0 && inner.allocationsLeft == 0)
        return;
      arena.calleeCalls += timesCalled(call);
      arena.calleeBytes = std::max(arena.calleeBytes, inner.bytes);
      arena.largestLeft = std::max(arena.largestLeft, inner.largestLeft);
      if (!counted.insert(callee).second)
        return;
      arena.buffers += inner.buffers;
      arena.allocationsLeft += inner.allocationsLeft;
      arena.lowerBound = std::max(arena.lowerBound, inner.lowerBound);
      arena.withoutReuse += inner.withoutReuse;
    });
    arena.lowerBound = std::max(arena.lowerBound, arena.bytes);
    arena.bytes += arena.calleeBytes;
    if (arena.buffers > 0 || arena.allocationsLeft > 0)
      description.arenas.push_back(arena);
  }
}

// /proc/meminfo's MemTotal (the executable also reads the cgroup's limit),
// or 0.
static int64_t machineMemoryBytes() {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileAsStream("/proc/meminfo");
  if (!file)
    return 0;
  for (llvm::StringRef rest = (*file)->getBuffer(); !rest.empty();) {
    auto [line, next] = rest.split('\n');
    rest = next;
    if (!line.consume_front("MemTotal:"))
      continue;
    int64_t kib = 0;
    line = line.trim();
    line.consume_back("kB");
    if (line.trim().getAsInteger(10, kib))
      return 0;
    return kib * 1024;
  }
  return 0;
}

void printMemoryPlan(const ModelDescription &description, llvm::raw_ostream &os) {
  auto mib = [](int64_t bytes) {
    return llvm::formatv("{0:f1} MiB", static_cast<double>(bytes) / (1 << 20)).str();
  };
  for (const ArenaPlan &arena : description.arenas) {
    os << "loomc: memory plan: " << arena.function << " " << mib(arena.bytes)
       << " for " << arena.buffers << " intermediate tensors (at least "
       << mib(arena.lowerBound) << " live at once, " << mib(arena.withoutReuse)
       << " without reuse)";
    if (arena.calleeCalls > 0)
      os << ", " << mib(arena.calleeBytes) << " of it for its "
         << arena.calleeCalls
         << " calls of blocks' and kernels' functions (the largest of their "
            "arenas)";
    if (arena.allocationsLeft > 0)
      os << "; " << arena.allocationsLeft << " allocation"
         << (arena.allocationsLeft == 1 ? "" : "s")
         << " in loops left to malloc (the largest " << mib(arena.largestLeft)
         << ")";
    os << "\n";
  }
  // The runtime's default optimizer: AdamW when the model has it.
  int optimizer = 0;
  for (auto [index, candidate] : llvm::enumerate(description.optimizers))
    if (candidate.name == "adamw")
      optimizer = static_cast<int>(index);
  int64_t parameters = description.tableBytes(LOOM_ROLE_PARAM);
  int64_t gradients = description.tableBytes(LOOM_ROLE_GRAD);
  int64_t inputs = description.tableBytes(LOOM_ROLE_INPUT);
  int64_t state = description.optimizers.empty()
                      ? 0
                      : description.tableBytes(LOOM_ROLE_STATE, optimizer);
  int64_t total = parameters + gradients + inputs + state +
                  description.largestArenaBytes();
  os << "loomc: memory plan: a training step needs " << mib(total)
     << ": parameters " << mib(parameters) << ", gradients " << mib(gradients);
  if (!description.optimizers.empty())
    os << ", " << description.optimizers[optimizer].name << " state "
       << mib(state);
  os << ", inputs " << mib(inputs) << ", intermediates "
     << mib(description.largestArenaBytes()) << "\n";
  // The executable refuses to train where the plan does not fit (it checks
  // at start-up); said here first, about the machine that compiles.
  if (int64_t memory = machineMemoryBytes(); memory > 0 && total > memory)
    os << "loomc: warning: a training step needs " << mib(total)
       << " by this plan, more than the " << mib(memory)
       << " of memory of this machine: the executable will refuse to train "
          "here\n";
  const InferenceDescription &inference = description.inference;
  if (!inference.available) {
    os << "loomc: inference: none (" << inference.unavailable << ")\n";
    return;
  }
  int64_t cache = description.tableBytes(LOOM_ROLE_CACHE);
  int64_t scratch = description.arenaBytesOf({"prefill", "decode"});
  os << "loomc: memory plan: inference (batch " << inference.batch
     << ", context " << inference.context << ", prefill "
     << inference.prefillLength << " tokens) needs "
     << mib(parameters + cache + scratch) << ": parameters " << mib(parameters)
     << ", key/value cache " << mib(cache) << ", intermediates " << mib(scratch)
     << "\n";
}

} // namespace loomc
