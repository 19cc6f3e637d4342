//===- ModelSignature.cpp - What each argument of a model function is -----===//

#include "dialects/loom/IR/ModelSignature.h"

using namespace mlir;
using namespace mlir::loom;

ArgumentInfo mlir::loom::describeArgument(func::FuncOp func, unsigned index) {
  ArgumentInfo info;
  info.type = func.getArgument(index).getType();
  info.init = func.getArgAttrOfType<InitAttr>(index, kInitAttr);
  static constexpr std::pair<const DiscardableAttribute &, ArgumentRole> kRoles[] = {
      {kParamAttr, ArgumentRole::param},
      {kGradAttr, ArgumentRole::grad},
      {kStateAttr, ArgumentRole::state},
      {kInputAttr, ArgumentRole::input},
      {kHyperAttr, ArgumentRole::hyper},
      {kCacheAttr, ArgumentRole::cache},
      {kInferenceAttr, ArgumentRole::inference},
  };
  for (auto [attrName, role] : kRoles) {
    if (auto name = func.getArgAttrOfType<StringAttr>(index, attrName)) {
      info.role = role;
      info.name = name.getValue();
      break;
    }
  }
  return info;
}

SmallVector<ArgumentInfo> mlir::loom::describeArguments(func::FuncOp func) {
  SmallVector<ArgumentInfo> infos;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    infos.push_back(describeArgument(func, i));
  return infos;
}

StringRef mlir::loom::stringifyArgumentRole(ArgumentRole role) {
  switch (role) {
  case ArgumentRole::param:
    return "parameter";
  case ArgumentRole::grad:
    return "gradient";
  case ArgumentRole::state:
    return "optimizer state";
  case ArgumentRole::input:
    return "input";
  case ArgumentRole::hyper:
    return "hyperparameter";
  case ArgumentRole::cache:
    return "key/value cache";
  case ArgumentRole::inference:
    return "inference argument";
  case ArgumentRole::unknown:
    break;
  }
  return "argument";
}
