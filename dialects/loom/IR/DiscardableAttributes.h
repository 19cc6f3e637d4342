//===- DiscardableAttributes.h - Every loom.* attribute, named once -*- C++
//-*-===//
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

// What an attribute holds and where it belongs, for the verifier.
enum class AttributeValue { string, strings, init, integer, integers, unit, floats, sizes };
enum class AttributePlace { argument, module, function, anyOp };

struct DiscardableAttribute {
  llvm::StringLiteral name;
  AttributeValue value;
  AttributePlace place;
  // Where an attribute name is wanted: op->setAttr(kPackAttr, ...).
  constexpr operator llvm::StringRef() const { return name; }
};

// Arguments of a model's functions: what the runtime binds to each.
inline constexpr DiscardableAttribute kParamAttr{
    "loom.param", AttributeValue::string, AttributePlace::argument};
inline constexpr DiscardableAttribute kInputAttr{
    "loom.input", AttributeValue::string, AttributePlace::argument};
inline constexpr DiscardableAttribute kInitAttr{
    "loom.init", AttributeValue::init, AttributePlace::argument};
inline constexpr DiscardableAttribute kGradAttr{
    "loom.grad", AttributeValue::string, AttributePlace::argument};
inline constexpr DiscardableAttribute kStateAttr{
    "loom.state", AttributeValue::string, AttributePlace::argument};
inline constexpr DiscardableAttribute kHyperAttr{
    "loom.hyper", AttributeValue::string, AttributePlace::argument};
//   The inference entry points' key/value caches ("cache.0.key") and their
//   other arguments: "tokens", "position", "logits".
inline constexpr DiscardableAttribute kCacheAttr{
    "loom.cache", AttributeValue::string, AttributePlace::argument};
inline constexpr DiscardableAttribute kInferenceAttr{
    "loom.inference", AttributeValue::string, AttributePlace::argument};
//   An entry function's buffer argument: its tensor's position in the
//   runtime's table (abi.h's `buffers`), set once the table is known.
inline constexpr DiscardableAttribute kTableIndexAttr{
    "loom.table_index", AttributeValue::integer, AttributePlace::argument};
//   The argument through which an entry function receives the runtime's
//   table of buffers itself (-loom-roll-repeated-calls adds it).
inline constexpr DiscardableAttribute kBufferTableAttr{
    "loom.buffer_table", AttributeValue::unit, AttributePlace::argument};

// The module: the model's name, and with --profile the loom ops timed, in
// the order of their indices.
inline constexpr DiscardableAttribute kModelAttr{
    "loom.model", AttributeValue::string, AttributePlace::module};
inline constexpr DiscardableAttribute kProfiledOpsAttr{
    "loom.profiled_ops", AttributeValue::strings, AttributePlace::module};
//   Per profiled op, in the same order, two numbers: the FLOP of its
//   matrix products and the bytes of its tensors (abi.h's
//   profiled_op_flops and profiled_op_bytes).
inline constexpr DiscardableAttribute kProfiledCostsAttr{
    "loom.profiled_costs", AttributeValue::floats, AttributePlace::module};
//   The positions a model is meant for (its `ctx` constant): the default
//   length of the inference entry points' key/value cache.
inline constexpr DiscardableAttribute kContextAttr{
    "loom.context", AttributeValue::integer, AttributePlace::module};
//   The scopes of the model's repeats ("h" for h = repeat(...)): instance i
//   of one is built with locations named "h.i" (or "h.i.attn" inside), and
//   -loom-outline-blocks compiles the instances' code once.
inline constexpr DiscardableAttribute kRepeatsAttr{
    "loom.repeats", AttributeValue::strings, AttributePlace::module};
//   Why -loom-build-inference built no inference entry points.
inline constexpr DiscardableAttribute kNoInferenceAttr{
    "loom.no_inference", AttributeValue::string, AttributePlace::module};

// A function's static memory plan (-loom-plan-memory), in bytes and counts.
inline constexpr DiscardableAttribute kArenaBytesAttr{
    "loom.arena_bytes", AttributeValue::integer, AttributePlace::function};
inline constexpr DiscardableAttribute kArenaBuffersAttr{
    "loom.arena_buffers", AttributeValue::integer, AttributePlace::function};
inline constexpr DiscardableAttribute kArenaLowerBoundAttr{
    "loom.arena_lower_bound_bytes", AttributeValue::integer,
    AttributePlace::function};
inline constexpr DiscardableAttribute kUnplannedBytesAttr{
    "loom.unplanned_bytes", AttributeValue::integer, AttributePlace::function};
inline constexpr DiscardableAttribute kAllocsLeftAttr{
    "loom.allocs_left", AttributeValue::integer, AttributePlace::function};
inline constexpr DiscardableAttribute kLargestLeftAttr{
    "loom.largest_left_bytes", AttributeValue::integer,
    AttributePlace::function};
//   A private function's entry point: the public function whose code it
//   is (a repeated block's, -loom-outline-blocks; an optimizer's kernel),
//   for the profile and the memory plan's report.
//   forward_backward's gradients (positions among its loom.grad arguments)
//   in the order it calls loom_gradient_ready for them, recorded by
//   -loom-lower-gradient-ready before any call is moved into a loop.
inline constexpr DiscardableAttribute kGradientReadyOrderAttr{
    "loom.gradient_ready_order", AttributeValue::integers,
    AttributePlace::function};
inline constexpr DiscardableAttribute kEntryAttr{
    "loom.entry", AttributeValue::string, AttributePlace::function};

// Ops of any dialect.
//   The linalg ops lowered from one fused loom op share a group number.
inline constexpr DiscardableAttribute kFusionGroupAttr{
    "loom.fusion_group", AttributeValue::integer, AttributePlace::anyOp};
//   A copy that only rearranges a product's operand for it (a weight read
//   transposed): tiled into the product's reduction blocks, never whole.
inline constexpr DiscardableAttribute kPackAttr{
    "loom.pack", AttributeValue::unit, AttributePlace::anyOp};
//   An scf.forall a lowering built itself, one iteration per thread's share
//   (attention's heads): its linalg ops get register tiles only.
inline constexpr DiscardableAttribute kThreadBlockAttr{
    "loom.thread_block", AttributeValue::unit, AttributePlace::anyOp};
//   A recomputation by -loom-rematerialize (and what is lowered from it),
//   which CSE must not merge back into the forward computation.
inline constexpr DiscardableAttribute kRecomputedAttr{
    "loom.recomputed", AttributeValue::unit, AttributePlace::anyOp};
//   A call of a repeated block's function: the instance it computes ("h.3").
inline constexpr DiscardableAttribute kInstanceAttr{
    "loom.instance", AttributeValue::string, AttributePlace::anyOp};
//   The loop of an embedding gradient's scatter, which a tied output
//   layer's gradient may be added into in place.
inline constexpr DiscardableAttribute kScatterAddAttr{
    "loom.scatter_add", AttributeValue::unit, AttributePlace::anyOp};
//   The slice of a position table that position_embedding reads: the rows
//   of the sequence's positions, which inference reads from a run-time
//   position.
inline constexpr DiscardableAttribute kPositionsAttr{
    "loom.positions", AttributeValue::unit, AttributePlace::anyOp};

//   A product's tiling chosen for its shape (loomc --tune, set by
//   -loom-apply-tuning): array<i64: block rows, block columns, register
//   rows, register columns, reduction block>, which -loom-tile-and-vectorize
//   applies instead of its rules.
inline constexpr DiscardableAttribute kTilingAttr{
    "loom.tiling", AttributeValue::sizes, AttributePlace::anyOp};

// Every one of them, in the order the verifier lists them.
inline constexpr const DiscardableAttribute *kDiscardableAttributes[] = {
    &kParamAttr,        &kInputAttr,           &kInitAttr,
    &kGradAttr,         &kStateAttr,           &kHyperAttr,
    &kModelAttr,        &kProfiledOpsAttr,     &kArenaBytesAttr,
    &kArenaBuffersAttr, &kArenaLowerBoundAttr, &kUnplannedBytesAttr,
    &kAllocsLeftAttr,   &kLargestLeftAttr,     &kFusionGroupAttr,
    &kPackAttr,         &kThreadBlockAttr,     &kRecomputedAttr,
    &kScatterAddAttr,   &kCacheAttr,           &kInferenceAttr,
    &kContextAttr,      &kNoInferenceAttr,     &kPositionsAttr,
    &kRepeatsAttr,      &kEntryAttr,           &kInstanceAttr,
    &kTableIndexAttr,   &kBufferTableAttr,     &kGradientReadyOrderAttr,
    &kProfiledCostsAttr, &kTilingAttr,
};

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_IR_DISCARDABLEATTRIBUTES_H
