//===- ModelDescription.cpp - The tensor table a model's executable uses --===//

#include "compiler/codegen/ModelDescription.h"
#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
namespace ops = mlir::loom;

static loom_role roleOf(ops::ArgumentRole role) {
  switch (role) {
  case ops::ArgumentRole::param:
    return LOOM_ROLE_PARAM;
  case ops::ArgumentRole::grad:
    return LOOM_ROLE_GRAD;
  case ops::ArgumentRole::state:
    return LOOM_ROLE_STATE;
  default:
    return LOOM_ROLE_INPUT;
  }
}

// The exclusive upper bound of the class indices an i32 input holds: the
// class count of every cross_entropy that reads it as labels (through the
// to_tensor of its buffer).
static int64_t indexBoundOf(Value buffer) {
  int64_t bound = 0;
  SmallVector<Operation *> users;
  for (Operation *user : buffer.getUsers())
    for (Operation *tensorUser : user->getUsers())
      users.push_back(tensorUser);
  for (Operation *user : users)
    if (auto ce = dyn_cast<ops::CrossEntropyOp>(user))
      if (ce.getLabels().getDefiningOp() &&
          llvm::is_contained(ce.getLabels().getDefiningOp()->getOperands(),
                             buffer)) {
        int64_t classes = ce.getLogits().getType().getDimSize(1);
        bound = bound == 0 ? classes : std::min(bound, classes);
      }
  return bound;
}

namespace loom {

FailureOr<ModelDescription> describeModel(ModuleOp module, bool fused,
                                          StringRef optimizer) {
  auto trainStep = module.lookupSymbol<func::FuncOp>("train_step");
  auto forward = module.lookupSymbol<func::FuncOp>("eval_loss");
  if (!trainStep || !forward)
    return module.emitError("expected @train_step and @eval_loss");

  ModelDescription description;
  description.fused = fused;
  description.optimizer = optimizer.str();
  if (auto name = module->getAttrOfType<StringAttr>("loom.model"))
    description.modelName = name.getValue().str();
  else
    description.modelName = "model";

  for (auto [i, info] : llvm::enumerate(ops::describeArguments(trainStep))) {
    Type type = trainStep.getArgument(i).getType();
    if (info.role == ops::ArgumentRole::hyper) {
      if (info.name != "step")
        description.hyperNames.push_back(info.name.str());
      continue;
    }
    auto memref = dyn_cast<MemRefType>(type);
    if (!memref || info.role == ops::ArgumentRole::unknown)
      return trainStep.emitError("argument #")
             << i << " of train_step is neither a tensor buffer of the model "
                     "nor a hyperparameter";
    TensorDescription tensor;
    tensor.name = info.name.str();
    tensor.role = roleOf(info.role);
    tensor.dtype = memref.getElementType().isF32() ? LOOM_DTYPE_F32
                                                    : LOOM_DTYPE_I32;
    tensor.shape.assign(memref.getShape().begin(), memref.getShape().end());
    if (info.role == ops::ArgumentRole::param && info.init) {
      tensor.init = static_cast<loom_init_kind>(info.init.getKind());
      tensor.initA = info.init.getA().convertToDouble();
      tensor.initB = info.init.getB().convertToDouble();
    }
    description.tensors.push_back(std::move(tensor));
  }

  trainStep.walk([&](ops::MatmulOp matmul) {
    auto [rows, inner] = ops::matmulOperandShape(matmul.getLhs().getType(),
                                                 matmul.getTransposeLhs());
    int64_t cols = matmul.getResult().getType().getDimSize(1);
    description.trainStepFlops += 2.0 * rows * cols * inner;
  });

  SmallVector<ops::ArgumentInfo> forwardInfos = ops::describeArguments(forward);
  for (unsigned i = 0; i < forwardInfos.size(); ++i) {
    const ops::ArgumentInfo &info = forwardInfos[i];
    auto found = llvm::find_if(description.tensors, [&](const TensorDescription &t) {
      return t.name == info.name && t.role == roleOf(info.role);
    });
    if (found == description.tensors.end())
      return forward.emitError("argument '")
             << info.name << "' of eval_loss is not in train_step";
    if (info.role == ops::ArgumentRole::input)
      found->indexBound = indexBoundOf(forward.getArgument(i));
    description.forwardArguments.push_back(found - description.tensors.begin());
  }
  return description;
}

} // namespace loom
