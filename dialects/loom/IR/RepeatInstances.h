//===- RepeatInstances.h - The names of a repeat's instances -----*- C++ -*-===//
//
// `h = repeat(n, block, x)` builds instance i of the block with locations
// named "h.i", or "h.i.attn" for ops of a block used inside it (the
// module's loom.repeats lists the scopes, "h"). -loom-outline-blocks groups
// ops by instance, and loomc's fusion report names a chain once for all
// instances ("h.*.attn"): both read the names here.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECTS_LOOM_IR_REPEATINSTANCES_H
#define LOOM_DIALECTS_LOOM_IR_REPEATINSTANCES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <optional>

namespace mlir::loom {

// "h.3.attn" read against the scopes: instance "h.3" (scope "h", index "3")
// and the rest ".attn" (empty for "h.3").
struct RepeatInstance {
  llvm::StringRef instance, scope, index, rest;
};

// The instance `name` belongs to, for the shortest scope it is one of (a
// repeat inside a repeated block counts as part of the outer instance);
// nothing when it belongs to none.
inline std::optional<RepeatInstance>
parseRepeatInstance(llvm::StringRef name, llvm::ArrayRef<llvm::StringRef> scopes) {
  std::optional<RepeatInstance> found;
  for (llvm::StringRef scope : scopes) {
    if (found && found->scope.size() <= scope.size())
      continue;
    if (!name.starts_with(scope) || !name.drop_front(scope.size()).starts_with("."))
      continue;
    llvm::StringRef tail = name.drop_front(scope.size() + 1);
    llvm::StringRef index = tail.take_while([](char c) { return c >= '0' && c <= '9'; });
    llvm::StringRef rest = tail.drop_front(index.size());
    if (index.empty() || !(rest.empty() || rest.starts_with(".")))
      continue;
    found = RepeatInstance{name.take_front(scope.size() + 1 + index.size()), scope,
                           index, rest};
  }
  return found;
}

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_IR_REPEATINSTANCES_H
