//===- FuseLinear.cpp - Fuse weight-bias-activation chains ----------------===//
//
// Forward:  act(matmul(x, W) + b)             => fused_linear act(x, W, b)
//           act(matmul(x, W) + b) + r         => fused_linear act(x, W, b) residual r
// Backward: dz = activation_grad(saved, dy);
//           matmul(x, dz)ᵀ, matmul(dz, W)ᵀ, reduce_sum(dz)
//                                             => fused_linear_grad act(dy, x, W, saved)
//
// Every chain fused, and every chain that had to be left alone, is reported
// with a remark and counted in the pass's statistics (by reason when left
// alone).
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include <set>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMFUSELINEARPASS
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

static std::optional<Activation> activationOf(Operation *op) {
  if (auto activation = dyn_cast<ActivationOpInterface>(op))
    return activation.getKind();
  return std::nullopt;
}

// "loom.add at file:line:col", for telling the user which use blocked fusion.
static std::string describeOp(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "'" << op->getName() << "' at " << op->getLoc();
  return text;
}

// Whether `add` adds a bias vector [N] to the product `product` [M, N].
static Value biasOperand(AddOp add, Value product) {
  Value other = add.getLhs() == product ? add.getRhs() : add.getLhs();
  if (other == product || add.getResult().getType() != product.getType())
    return {};
  auto otherType = cast<RankedTensorType>(other.getType());
  return otherType.getRank() == 1 ? other : Value();
}

// Whether `use` is the gradient of activation `kind` reading the value as its
// saved forward value: such uses belong to the chain.
static bool isOwnGradientUse(OpOperand &use, Activation kind) {
  auto grad = dyn_cast<ActivationGradOp>(use.getOwner());
  return grad && grad.getActivation() == kind &&
         use.get() == grad.getSaved() && use.getOperandNumber() == 0 &&
         grad.getOutputGrad() != use.get();
}

namespace {

struct LocationAndTextLess {
  bool operator()(const std::pair<Location, std::string> &a,
                  const std::pair<Location, std::string> &b) const {
    const void *pa = a.first.getAsOpaquePointer();
    const void *pb = b.first.getAsOpaquePointer();
    return pa != pb ? pa < pb : a.second < b.second;
  }
};

struct ForwardChain {
  MatmulOp matmul;
  AddOp biasAdd;       // null without bias
  Value bias;          // null without bias
  Operation *activation = nullptr; // null without activation
  Activation kind = Activation::none;
};

// Remarks and counts of a whole module, each chain once: the same chain
// appears in the training step and in eval_loss.
class FusionRemarks {
public:
  explicit FusionRemarks(FusionStatistics &statistics) : statistics(statistics) {}

  void fused(Location loc, const Twine &message) {
    if (add(loc, message))
      ++statistics.fused;
  }
  void notFused(Location loc, UnfusedReason reason, const Twine &message) {
    if (add(loc, message))
      ++statistics.unfused[static_cast<unsigned>(reason)];
  }
  void emit() {
    for (auto &[loc, text] : remarks)
      emitRemark(loc, text);
  }

private:
  bool add(Location loc, const Twine &message) {
    std::string text = message.str();
    if (!seen.insert({loc, text}).second)
      return false;
    remarks.push_back({loc, text});
    return true;
  }

  FusionStatistics &statistics;
  std::set<std::pair<Location, std::string>, LocationAndTextLess> seen;
  SmallVector<std::pair<Location, std::string>> remarks;
};

class LinearFuser {
public:
  LinearFuser(func::FuncOp function, FusionRemarks &remarks)
      : function(function), remarks(remarks) {}
  void run();

private:
  // Returns the chain at `matmul`; std::nullopt with an empty `whyNot` when
  // there is no chain to speak of.
  std::optional<ForwardChain> matchForward(MatmulOp matmul,
                                           UnfusedReason &reason,
                                           std::string &whyNot);
  void fuseForward(ForwardChain chain);
  // Fuses the ops that consume the pre-activation gradient `dz`.
  void fuseBackward(Value dz, Activation kind, Value saved, Value dy,
                    Operation *activationGrad);

  func::FuncOp function;
  FusionRemarks &remarks;
  // Ops erased by backward fusion, so that later candidates skip them.
  DenseSet<Operation *> erased;
};

} // namespace

std::optional<ForwardChain> LinearFuser::matchForward(MatmulOp matmul,
                                                      UnfusedReason &reason,
                                                      std::string &whyNot) {
  // x · W, or x · Wᵀ for a weight in [out, in] layout; products with a
  // transposed left operand are weight gradients, not layers.
  if (matmul.getTransposeLhs())
    return std::nullopt;
  ForwardChain chain;
  chain.matmul = matmul;
  Value product = matmul.getResult();
  Value pre = product;
  if (product.hasOneUse())
    if (auto add = dyn_cast<AddOp>(*product.getUsers().begin()))
      if (Value bias = biasOperand(add, product)) {
        chain.biasAdd = add;
        chain.bias = bias;
        pre = add.getResult();
      }

  SmallVector<Operation *> activations;
  for (Operation *user : pre.getUsers())
    if (activationOf(user) && user->getOperand(0) == pre)
      activations.push_back(user);
  if (activations.size() > 1) {
    reason = UnfusedReason::severalActivations;
    whyNot = "the pre-activation value feeds " +
             std::to_string(activations.size()) + " activations";
    return std::nullopt;
  }
  if (activations.size() == 1) {
    chain.activation = activations.front();
    chain.kind = *activationOf(chain.activation);
  }

  if (!chain.biasAdd && !chain.activation) {
    bool chainLike = llvm::any_of(product.getUsers(), [&](Operation *user) {
      auto add = dyn_cast<AddOp>(user);
      return add && biasOperand(add, product);
    });
    if (chainLike) {
      reason = UnfusedReason::productUses;
      whyNot = "the product x·W has " +
               std::to_string(llvm::range_size(product.getUses())) +
               " uses, so it would have to be stored anyway";
    }
    return std::nullopt;
  }
  if (chain.activation) {
    for (OpOperand &use : pre.getUses()) {
      if (use.getOwner() == chain.activation ||
          isOwnGradientUse(use, chain.kind))
        continue;
      reason = UnfusedReason::preActivationUses;
      whyNot = "the pre-activation value has another use, " +
               describeOp(use.getOwner());
      return std::nullopt;
    }
  }
  return chain;
}

// The sum `output + r` that is the only use of the chain's output, with r
// of the output's type (a transformer block's residual stream) and not the
// output itself, when the layer can move down to it: in the same block,
// and every other use of the pre-activation (its gradient) after the sum.
// Null otherwise.
static AddOp residualAddOf(const ForwardChain &chain, Value pre) {
  Value output = chain.activation ? chain.activation->getResult(0) : pre;
  if (!output.hasOneUse())
    return nullptr;
  auto add = dyn_cast<AddOp>(*output.getUsers().begin());
  // In the chain's own block: moved into a loop, the layer would run on
  // every iteration.
  if (!add || add->getBlock() != output.getParentBlock() ||
      add.getLhs() == add.getRhs() ||
      add.getLhs().getType() != add.getRhs().getType() ||
      add.getResult().getType() != output.getType())
    return nullptr;
  for (Operation *user : pre.getUsers())
    if (user != chain.activation && user != add.getOperation() &&
        (user->getBlock() != add->getBlock() || user->isBeforeInBlock(add)))
      return nullptr;
  return add;
}

void LinearFuser::fuseForward(ForwardChain chain) {
  Operation *last = chain.activation ? chain.activation
                                     : chain.biasAdd.getOperation();
  Value pre = chain.biasAdd ? chain.biasAdd.getResult()
                            : chain.matmul.getResult();
  bool keepPre = chain.activation &&
                 activationGradNeedsInput(function.getContext(), chain.kind) &&
                 llvm::any_of(pre.getUses(), [&](OpOperand &use) {
                   return isOwnGradientUse(use, chain.kind);
                 });
  SmallVector<Location> locs = {chain.matmul.getLoc()};
  if (chain.biasAdd)
    locs.push_back(chain.biasAdd.getLoc());
  if (chain.activation)
    locs.push_back(chain.activation->getLoc());
  AddOp residualAdd = residualAddOf(chain, pre);
  Value residual;
  if (residualAdd) {
    Value output = last->getResult(0);
    residual = residualAdd.getLhs() == output ? residualAdd.getRhs()
                                              : residualAdd.getLhs();
    locs.push_back(residualAdd.getLoc());
  }

  // With a residual the layer goes where the sum was: the residual may be
  // computed after the chain's last op.
  OpBuilder builder(residualAdd ? residualAdd.getOperation() : last);
  SmallVector<Type> resultTypes = {pre.getType()};
  if (keepPre)
    resultTypes.push_back(pre.getType());
  auto fused = FusedLinearOp::create(
      builder, builder.getFusedLoc(locs), resultTypes, chain.kind,
      chain.matmul.getLhs(), chain.matmul.getRhs(), chain.bias, residual,
      chain.matmul.getTransposeRhs());

  if (residualAdd) {
    residualAdd.getResult().replaceAllUsesWith(fused.getOutput());
    residualAdd.erase();
  }
  if (chain.activation) {
    if (!residualAdd)
      chain.activation->getResult(0).replaceAllUsesWith(fused.getOutput());
    if (keepPre)
      pre.replaceUsesWithIf(fused.getPreActivation(), [&](OpOperand &use) {
        return use.getOwner() != chain.activation;
      });
    chain.activation->erase();
  } else if (!residualAdd) {
    pre.replaceAllUsesWith(fused.getOutput());
  }
  if (chain.biasAdd)
    chain.biasAdd.erase();
  chain.matmul.erase();

  std::string what = "matmul";
  if (chain.bias)
    what += " + bias";
  if (chain.activation)
    what += (" + " + stringifyActivation(chain.kind)).str();
  if (residualAdd)
    what += " + residual";
  remarks.fused(locs.front(), "fused " + what + " (forward)");
}

void LinearFuser::fuseBackward(Value dz, Activation kind, Value saved,
                               Value dy, Operation *activationGrad) {
  // The products, for a weight W [K, N] (y = x·W) or, transposed, [N, K]
  // (y = x·Wᵀ): dW = xᵀ·dz or dzᵀ·x, dx = dz·Wᵀ or dz·W. Both must agree
  // on the layout.
  MatmulOp weightGrad, inputGrad;
  ReduceSumOp biasGrad;
  std::optional<bool> transposedWeight;
  auto sameLayout = [&](bool transposed) {
    if (!transposedWeight)
      transposedWeight = transposed;
    return *transposedWeight == transposed;
  };
  for (OpOperand &use : dz.getUses()) {
    Operation *user = use.getOwner();
    auto matmul = dyn_cast<MatmulOp>(user);
    auto reduce = dyn_cast<ReduceSumOp>(user);
    bool tl = matmul && matmul.getTransposeLhs();
    bool tr = matmul && matmul.getTransposeRhs();
    if (matmul && tl && !tr && matmul.getRhs() == dz && matmul.getLhs() != dz &&
        !weightGrad && sameLayout(false)) {
      weightGrad = matmul; // dW = xᵀ·dz
    } else if (matmul && tl && !tr && matmul.getLhs() == dz &&
               matmul.getRhs() != dz && !weightGrad && sameLayout(true)) {
      weightGrad = matmul; // dW = dzᵀ·x, W transposed
    } else if (matmul && !tl && matmul.getLhs() == dz && matmul.getRhs() != dz &&
               !inputGrad && sameLayout(!tr)) {
      inputGrad = matmul; // dx = dz·Wᵀ, or dz·W when W is transposed
    } else if (reduce && reduce.getResult().getType().getRank() == 1 &&
               !biasGrad) {
      biasGrad = reduce; // db = Σ_rows dz
    } else if (!activationGrad) {
      // Without an activation, dz is the output's gradient itself, which
      // other ops may read too (a residual connection's other branch);
      // the chain reads it without consuming it.
      continue;
    } else {
      remarks.notFused(activationGrad->getLoc(), UnfusedReason::gradientUses,
                       "not fused (backward): the pre-activation gradient "
                       "also feeds " +
                           describeOp(user));
      return;
    }
  }
  if (!weightGrad)
    return;
  // Autodiff gives the weight-gradient product the location of the layer's
  // forward matmul, where the forward remark points too.
  Location loc = weightGrad.getLoc();
  // Without activation and bias there is nothing to fuse with the products.
  if (kind == Activation::none && !biasGrad)
    return;
  // Without an activation, dz is just some gradient: fuse only the backward
  // of a layer whose forward chain was fused (x feeds a fused_linear of the
  // same shape), so that a chain left alone forward stays alone backward.
  Value input = *transposedWeight ? weightGrad.getRhs() : weightGrad.getLhs();
  if (kind == Activation::none &&
      llvm::none_of(input.getUsers(), [&](Operation *user) {
        auto forward = dyn_cast<FusedLinearOp>(user);
        return forward && forward.getActivation() == Activation::none &&
               forward.getInput() == input &&
               forward.getTransposeWeight() == *transposedWeight &&
               forward.getWeight().getType() == weightGrad.getResult().getType();
      }))
    return;

  // Users first: the activation derivative feeds the other three.
  SmallVector<Operation *> replaced = {weightGrad};
  if (inputGrad)
    replaced.push_back(inputGrad);
  if (biasGrad)
    replaced.push_back(biasGrad);
  if (activationGrad)
    replaced.push_back(activationGrad);
  Operation *first = *llvm::min_element(replaced, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  Value x = *transposedWeight ? weightGrad.getRhs() : weightGrad.getLhs();
  Value weight = inputGrad ? inputGrad.getRhs() : Value();
  for (Value operand : {dy, x, weight, saved}) {
    Operation *def = operand ? operand.getDefiningOp() : nullptr;
    if (def && def->getBlock() == first->getBlock() &&
        !def->isBeforeInBlock(first) && def != first) {
      remarks.notFused(loc, UnfusedReason::operandOrder,
                       "not fused (backward): an operand is computed after "
                       "the gradient products start");
      return;
    }
  }

  OpBuilder builder(first);
  SmallVector<Type> resultTypes;
  if (inputGrad)
    resultTypes.push_back(inputGrad.getResult().getType());
  resultTypes.push_back(weightGrad.getResult().getType());
  if (biasGrad)
    resultTypes.push_back(biasGrad.getResult().getType());
  auto fused = FusedLinearGradOp::create(builder, loc, resultTypes, kind, dy, x,
                                         weight, saved, bool(biasGrad),
                                         *transposedWeight);
  if (inputGrad)
    inputGrad.getResult().replaceAllUsesWith(fused.getInputGrad());
  weightGrad.getResult().replaceAllUsesWith(fused.getWeightGrad());
  if (biasGrad)
    biasGrad.getResult().replaceAllUsesWith(fused.getBiasGrad());
  for (Operation *op : replaced) {
    erased.insert(op);
    op->erase();
  }

  std::string what = activationGrad
                         ? (stringifyActivation(kind) + " derivative").str()
                         : std::string("output gradient");
  if (biasGrad)
    what += " + bias gradient";
  what += " + weight gradient";
  if (inputGrad)
    what += " + input gradient";
  remarks.fused(loc, "fused " + what + " (backward)");
}

void LinearFuser::run() {
  SmallVector<MatmulOp> matmuls;
  function.walk([&](MatmulOp op) { matmuls.push_back(op); });
  for (MatmulOp matmul : matmuls) {
    UnfusedReason reason;
    std::string whyNot;
    if (std::optional<ForwardChain> chain = matchForward(matmul, reason, whyNot))
      fuseForward(*chain);
    else if (!whyNot.empty())
      remarks.notFused(matmul.getLoc(), reason, "not fused (forward): " + whyNot);
  }

  SmallVector<ActivationGradOp> activationGrads;
  function.walk([&](ActivationGradOp op) { activationGrads.push_back(op); });
  for (ActivationGradOp grad : activationGrads)
    fuseBackward(grad.getResult(), grad.getActivation(), grad.getSaved(),
                 grad.getOutputGrad(), grad);

  // Chains without activation: any gradient dz that feeds a weight-gradient
  // product and a bias reduction.
  SmallVector<MatmulOp> weightGradCandidates;
  function.walk([&](MatmulOp op) {
    if (op.getTransposeLhs() && !op.getTransposeRhs())
      weightGradCandidates.push_back(op);
  });
  for (MatmulOp candidate : weightGradCandidates) {
    // dz is the right operand of xᵀ·dz, or the left one of dzᵀ·x.
    for (Value dz : {candidate.getRhs(), candidate.getLhs()}) {
      if (erased.contains(candidate))
        break;
      fuseBackward(dz, Activation::none, Value(), dz, nullptr);
    }
  }
}

namespace {
struct LoomFuseLinearPass
    : public mlir::loom::impl::LoomFuseLinearPassBase<LoomFuseLinearPass> {
  using Base::Base;
  explicit LoomFuseLinearPass(FusionStatistics *caller) : caller(caller) {}

  void runOnOperation() override {
    FusionStatistics counts;
    FusionRemarks remarks(counts);
    getOperation().walk(
        [&](func::FuncOp function) { LinearFuser(function, remarks).run(); });
    remarks.emit();
    fusedChains += counts.fused;
    auto unfused = [&](UnfusedReason reason) {
      return counts.unfused[static_cast<unsigned>(reason)];
    };
    unfusedSeveralActivations += unfused(UnfusedReason::severalActivations);
    unfusedProductUses += unfused(UnfusedReason::productUses);
    unfusedPreActivationUses += unfused(UnfusedReason::preActivationUses);
    unfusedGradientUses += unfused(UnfusedReason::gradientUses);
    unfusedOperandOrder += unfused(UnfusedReason::operandOrder);
    if (caller) {
      caller->fused += counts.fused;
      for (unsigned i = 0; i < kUnfusedReasons; ++i)
        caller->unfused[i] += counts.unfused[i];
    }
  }

  FusionStatistics *caller = nullptr;
};
} // namespace

std::unique_ptr<Pass>
mlir::loom::createLoomFuseLinearPass(FusionStatistics &statistics) {
  return std::make_unique<LoomFuseLinearPass>(&statistics);
}
