//===- DiscardableAttributes.h - Every loom.* attribute, named once -*- C++ -*-===//
//
// The attributes Loom's front end and passes put on functions, their
// arguments, the module and ops of any dialect, with what each holds and
// where it belongs. The dialect verifies every `loom.*` attribute against
// this table, so a misspelt or mistyped one is an error where it appears.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECTS_LOOM_IR_DISCARDABLEATTRIBUTES_H
#define LOOM_DIALECTS_LOOM_IR_DISCARDABLEATTRIBUTES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::loom {

// Arguments of a model's functions: what the runtime binds to each.
inline constexpr llvm::StringLiteral kParamAttr = "loom.param";
inline constexpr llvm::StringLiteral kInputAttr = "loom.input";
inline constexpr llvm::StringLiteral kInitAttr = "loom.init";
inline constexpr llvm::StringLiteral kGradAttr = "loom.grad";
inline constexpr llvm::StringLiteral kStateAttr = "loom.state";
inline constexpr llvm::StringLiteral kHyperAttr = "loom.hyper";

// The module: the model's name, and with --profile the loom ops timed, in
// the order of their indices.
inline constexpr llvm::StringLiteral kModelAttr = "loom.model";
inline constexpr llvm::StringLiteral kProfiledOpsAttr = "loom.profiled_ops";

// A function's static memory plan (-loom-plan-memory), in bytes and counts.
inline constexpr llvm::StringLiteral kArenaBytesAttr = "loom.arena_bytes";
inline constexpr llvm::StringLiteral kArenaBuffersAttr = "loom.arena_buffers";
inline constexpr llvm::StringLiteral kArenaLowerBoundAttr =
    "loom.arena_lower_bound_bytes";
inline constexpr llvm::StringLiteral kUnplannedBytesAttr = "loom.unplanned_bytes";
inline constexpr llvm::StringLiteral kAllocsLeftAttr = "loom.allocs_left";
inline constexpr llvm::StringLiteral kLargestLeftAttr = "loom.largest_left_bytes";

// Ops of any dialect.
//   The linalg ops lowered from one fused loom op share a group number.
inline constexpr llvm::StringLiteral kFusionGroupAttr = "loom.fusion_group";
//   A copy that only rearranges a product's operand for it (a weight read
//   transposed): tiled into the product's reduction blocks, never whole.
inline constexpr llvm::StringLiteral kPackAttr = "loom.pack";
//   An scf.forall a lowering built itself, one iteration per thread's share
//   (attention's heads): its linalg ops get register tiles only.
inline constexpr llvm::StringLiteral kThreadBlockAttr = "loom.thread_block";
//   A recomputation by -loom-rematerialize (and what is lowered from it),
//   which CSE must not merge back into the forward computation.
inline constexpr llvm::StringLiteral kRecomputedAttr = "loom.recomputed";
//   The loop of an embedding gradient's scatter, which a tied output
//   layer's gradient may be added into in place.
inline constexpr llvm::StringLiteral kScatterAddAttr = "loom.scatter_add";

// What an attribute holds and where it belongs, for the verifier.
enum class AttributeValue { string, strings, init, integer, unit };
enum class AttributePlace { argument, module, function, anyOp };
struct DiscardableAttribute {
  llvm::StringLiteral name;
  AttributeValue value;
  AttributePlace place;
};

inline constexpr DiscardableAttribute kDiscardableAttributes[] = {
    {kParamAttr, AttributeValue::string, AttributePlace::argument},
    {kInputAttr, AttributeValue::string, AttributePlace::argument},
    {kInitAttr, AttributeValue::init, AttributePlace::argument},
    {kGradAttr, AttributeValue::string, AttributePlace::argument},
    {kStateAttr, AttributeValue::string, AttributePlace::argument},
    {kHyperAttr, AttributeValue::string, AttributePlace::argument},
    {kModelAttr, AttributeValue::string, AttributePlace::module},
    {kProfiledOpsAttr, AttributeValue::strings, AttributePlace::module},
    {kArenaBytesAttr, AttributeValue::integer, AttributePlace::function},
    {kArenaBuffersAttr, AttributeValue::integer, AttributePlace::function},
    {kArenaLowerBoundAttr, AttributeValue::integer, AttributePlace::function},
    {kUnplannedBytesAttr, AttributeValue::integer, AttributePlace::function},
    {kAllocsLeftAttr, AttributeValue::integer, AttributePlace::function},
    {kLargestLeftAttr, AttributeValue::integer, AttributePlace::function},
    {kFusionGroupAttr, AttributeValue::integer, AttributePlace::anyOp},
    {kPackAttr, AttributeValue::unit, AttributePlace::anyOp},
    {kThreadBlockAttr, AttributeValue::unit, AttributePlace::anyOp},
    {kRecomputedAttr, AttributeValue::unit, AttributePlace::anyOp},
    {kScatterAddAttr, AttributeValue::unit, AttributePlace::anyOp},
};

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_IR_DISCARDABLEATTRIBUTES_H
