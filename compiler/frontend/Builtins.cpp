//===- Builtins.cpp - The operations of the .loom language ----------------===//
//
// One function per operation: it checks its arguments in the language's
// terms (reporting at the argument or the call), creates the parameters it
// owns under its scope, and builds the loom ops. docs/language.md lists
// them all with their shapes.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ModelBuilderImpl.h"
#include "dialects/loom/IR/LoomBuilders.h"
#include <cmath>

using namespace loomc::frontend;
using llvm::StringRef;
using llvm::Twine;
using mlir::Value;
namespace loomir = mlir::loom;

namespace {
using MB = ModelBuilder;
const Builtin kBuiltins[] = {
    // Operations that own parameters.
    {"linear",
     {"input", "out_features", "bias", "activation", "weight_init", "bias_init",
      "layout"},
     2,
     &MB::buildLinear,
     true},
    {"embedding",
     {"ids", "num_embeddings", "embedding_dim", "init"},
     3,
     &MB::buildEmbedding,
     true},
    {"position_embedding",
     {"num_positions", "embedding_dim", "length", "init"},
     3,
     &MB::buildPositionEmbedding,
     true},
    {"layer_norm",
     {"input", "eps", "weight_init", "bias_init"},
     1,
     &MB::buildLayerNorm,
     true},
    {"rms_norm", {"input", "eps", "weight_init"}, 1, &MB::buildRmsNorm, true},
    // Operations on tensors.
    {"matmul", {"lhs", "rhs", "transpose_b"}, 2, &MB::buildMatmul},
    {"add", {"lhs", "rhs"}, 2, &MB::buildAddCall},
    {"gelu", {"input", "approximate"}, 1, &MB::buildGelu},
    {"relu", {"input"}, 1, &MB::buildRelu},
    {"tanh", {"input"}, 1, &MB::buildTanh},
    {"silu", {"input"}, 1, &MB::buildSilu},
    {"swiglu", {"gate", "up"}, 2, &MB::buildSwiglu},
    {"attention",
     {"query", "key", "value", "heads", "kv_heads"},
     1,
     &MB::buildAttention},
    {"rope", {"input", "heads", "theta"}, 2, &MB::buildRope},
    {"slice", {"input", "start", "size", "axis"}, 3, &MB::buildSlice},
    {"cross_entropy", {"logits", "labels"}, 2, &MB::buildCrossEntropy},
    {"mse", {"prediction", "target"}, 2, &MB::buildMse},
    // Initializers and numbers.
    {"normal", {"std"}, 1, &MB::buildNormal},
    {"uniform", {"low", "high"}, 2, &MB::buildUniform},
    {"sqrt", {"x"}, 1, &MB::buildSqrt},
};
} // namespace

llvm::ArrayRef<Builtin> loomc::frontend::builtins() { return kBuiltins; }

const Builtin *loomc::frontend::lookupBuiltin(StringRef name) {
  for (const Builtin &builtin : kBuiltins)
    if (builtin.name == name)
      return &builtin;
  return nullptr;
}

std::string loomc::frontend::builtinNames() {
  std::string text;
  for (const Builtin &builtin : kBuiltins)
    text += (text.empty() ? "" : ", ") + builtin.name.str();
  return text;
}

static llvm::ArrayRef<int64_t> shapeOf(Value value) {
  return mlir::cast<mlir::RankedTensorType>(value.getType()).getShape();
}

std::optional<loomir::InitAttr>
ModelBuilder::initOr(const std::optional<SemValue> &arg,
                     loomir::InitAttr fallback, const Twine &what) {
  if (!arg)
    return fallback;
  return asInit(*arg, what);
}

//===----------------------------------------------------------------------===//
// Operations that own parameters
//===----------------------------------------------------------------------===//

// linear(input, out_features, bias=true, activation=none, weight_init=…,
// bias_init=…, layout=in_out): act(input · W + b) over the last dimension,
// with SCOPE.weight [in, out] (in_out, as Hugging Face's Conv1D) or
// [out, in] (out_in, as torch.nn.Linear) and SCOPE.bias [out].
std::optional<SemValue> ModelBuilder::buildLinear(const Expr &call, Args args,
                                                  StringRef scope) {
  std::optional<Value> input = asTensor(*args[0], "the input of linear");
  if (!input)
    return std::nullopt;
  llvm::ArrayRef<int64_t> inputShape = shapeOf(*input);
  if (inputShape.size() < 2)
    return fail(args[0]->loc, "the input of linear must have rows: at least 2 "
                              "dimensions, but " +
                                  args[0]->text + " is " +
                                  typeText(input->getType()));
  std::optional<int64_t> outFeatures =
      asPositive(*args[1], "out_features of linear");
  if (!outFeatures)
    return std::nullopt;
  bool hasBias = true;
  if (args[2]) {
    std::optional<bool> b = asBool(*args[2], "bias of linear");
    if (!b)
      return std::nullopt;
    hasBias = *b;
  }
  loomir::Activation kind = loomir::Activation::none;
  if (args[3]) {
    std::optional<loomir::Activation> a = asActivation(*args[3]);
    if (!a)
      return std::nullopt;
    kind = *a;
  }
  bool outIn = false;
  if (args[6]) {
    const SemValue &layout = *args[6];
    if (layout.kind != SemValue::Kind::word ||
        (layout.text != "in_out" && layout.text != "out_in"))
      return fail(layout.loc,
                  "layout of linear must be in_out (weight [in, out]) "
                  "or out_in (weight [out, in])");
    outIn = layout.text == "out_in";
  }
  int64_t inFeatures = inputShape.back();
  // torch.nn.Linear's default: U(-1/√in, 1/√in) for weight and bias.
  double bound = 1.0 / std::sqrt(static_cast<double>(inFeatures));
  auto defaultInit =
      loomir::InitAttr::get(&context, loomir::InitKind::uniform, -bound, bound);
  auto weightInit = initOr(args[4], defaultInit, "weight_init of linear");
  if (!weightInit)
    return std::nullopt;
  if (args[5] && !hasBias)
    return fail(args[5]->loc, "bias_init is given but bias=false");
  auto biasInit = initOr(args[5], defaultInit, "bias_init of linear");
  if (!biasInit)
    return std::nullopt;

  llvm::SmallVector<int64_t> weightShape = {inFeatures, *outFeatures};
  if (outIn)
    std::swap(weightShape[0], weightShape[1]);
  if (!checkSize(weightShape, call.loc, "the weight of linear") ||
      !checkSize(loomir::withLastDim(inputShape, *outFeatures), call.loc,
                 "the result of linear"))
    return std::nullopt;
  std::optional<Value> weight =
      addParameter(scope.str() + ".weight", weightShape, *weightInit, call.loc);
  if (!weight)
    return std::nullopt;
  mlir::Location loc = locOf(call.loc);
  Value result = loomir::createMatmul(builder, loc, *input, *weight,
                                      /*transposeLhs=*/false, outIn);
  if (hasBias) {
    std::optional<Value> bias = addParameter(
        scope.str() + ".bias", {*outFeatures}, *biasInit, call.loc);
    if (!bias)
      return std::nullopt;
    result = loomir::createAdd(builder, loc, result, *bias);
  }
  result = loomir::createActivation(builder, loc, kind, result);
  return tensorValue(result, call.loc, "the result of linear");
}

// embedding(ids, num_embeddings, embedding_dim, init=normal(1)): rows of
// SCOPE.weight [num_embeddings, embedding_dim] gathered by the i32 ids.
std::optional<SemValue>
ModelBuilder::buildEmbedding(const Expr &call, Args args, StringRef scope) {
  std::optional<Value> ids =
      asTensor(*args[0], "the ids of embedding", 0, /*f32=*/false);
  if (!ids)
    return std::nullopt;
  std::optional<int64_t> count =
      asPositive(*args[1], "num_embeddings of embedding");
  if (!count)
    return std::nullopt;
  std::optional<int64_t> width =
      asPositive(*args[2], "embedding_dim of embedding");
  if (!width)
    return std::nullopt;
  // torch.nn.Embedding's default.
  auto init = initOr(
      args[3], loomir::InitAttr::get(&context, loomir::InitKind::normal, 1.0),
      "init of embedding");
  if (!init)
    return std::nullopt;
  llvm::SmallVector<int64_t> resultShape(shapeOf(*ids));
  resultShape.push_back(*width);
  if (!checkSize({*count, *width}, call.loc, "the table of embedding") ||
      !checkSize(resultShape, call.loc, "the result of embedding"))
    return std::nullopt;
  std::optional<Value> table =
      addParameter(scope.str() + ".weight", {*count, *width}, *init, call.loc);
  if (!table)
    return std::nullopt;
  Value result = loomir::EmbeddingOp::create(
      builder, locOf(call.loc), f32Type(resultShape), *table, *ids);
  return tensorValue(result, call.loc, "the result of embedding");
}

// position_embedding(num_positions, embedding_dim, length, init=normal(1)):
// the first `length` rows of SCOPE.weight [num_positions, embedding_dim],
// one per position, to be added to [batch, length, embedding_dim].
std::optional<SemValue> ModelBuilder::buildPositionEmbedding(const Expr &call,
                                                             Args args,
                                                             StringRef scope) {
  std::optional<int64_t> count =
      asPositive(*args[0], "num_positions of position_embedding");
  if (!count)
    return std::nullopt;
  std::optional<int64_t> width =
      asPositive(*args[1], "embedding_dim of position_embedding");
  if (!width)
    return std::nullopt;
  std::optional<int64_t> length =
      asPositive(*args[2], "length of position_embedding");
  if (!length)
    return std::nullopt;
  if (*length > *count)
    return fail(args[2]->loc, "length " + Twine(*length) +
                                  " of position_embedding "
                                  "exceeds its " +
                                  Twine(*count) + " positions");
  auto init = initOr(
      args[3], loomir::InitAttr::get(&context, loomir::InitKind::normal, 1.0),
      "init of position_embedding");
  if (!init)
    return std::nullopt;
  if (!checkSize({*count, *width}, call.loc, "the table of position_embedding"))
    return std::nullopt;
  std::optional<Value> table =
      addParameter(scope.str() + ".weight", {*count, *width}, *init, call.loc);
  if (!table)
    return std::nullopt;
  // Always a slice, even of the whole table: the inference entry points
  // find the rows of the sequence's positions by its loom.positions mark
  // and read them from a run-time position instead.
  auto rows = loomir::SliceOp::create(
      builder, locOf(call.loc), f32Type({*length, *width}), *table,
      builder.getI64IntegerAttr(0), builder.getI64IntegerAttr(0), Value());
  rows->setAttr(loomir::kPositionsAttr, builder.getUnitAttr());
  Value result = rows;
  return tensorValue(result, call.loc, "the result of position_embedding");
}

// A normalization's epsilon: a positive number.
static std::optional<float> epsilonOf(ModelBuilder &mb,
                                      const std::optional<SemValue> &arg,
                                      double fallback, const Twine &what) {
  if (!arg)
    return static_cast<float>(fallback);
  std::optional<double> eps = mb.asReal(*arg, what);
  if (!eps)
    return std::nullopt;
  if (!(*eps > 0.0) || *eps > 1.0)
    return mb.fail(arg->loc, what + " must lie in (0, 1], got " +
                                 ModelBuilder::numberText(*eps));
  return static_cast<float>(*eps);
}

// layer_norm(input, eps=1e-5, weight_init=ones, bias_init=zeros): over the
// last dimension C, with SCOPE.weight [C] and SCOPE.bias [C].
std::optional<SemValue>
ModelBuilder::buildLayerNorm(const Expr &call, Args args, StringRef scope) {
  std::optional<Value> input = asTensor(*args[0], "the input of layer_norm");
  if (!input)
    return std::nullopt;
  if (shapeOf(*input).empty())
    return fail(args[0]->loc,
                "the input of layer_norm must have a dimension to "
                "normalize over, but " +
                    args[0]->text + " is a scalar");
  std::optional<float> eps =
      epsilonOf(*this, args[1], 1e-5, "eps of layer_norm");
  if (!eps)
    return std::nullopt;
  auto weightInit =
      initOr(args[2], loomir::InitAttr::get(&context, loomir::InitKind::ones),
             "weight_init of layer_norm");
  auto biasInit =
      weightInit
          ? initOr(args[3],
                   loomir::InitAttr::get(&context, loomir::InitKind::zeros),
                   "bias_init of layer_norm")
          : std::nullopt;
  if (!biasInit)
    return std::nullopt;
  int64_t width = shapeOf(*input).back();
  std::optional<Value> gain =
      addParameter(scope.str() + ".weight", {width}, *weightInit, call.loc);
  if (!gain)
    return std::nullopt;
  std::optional<Value> bias =
      addParameter(scope.str() + ".bias", {width}, *biasInit, call.loc);
  if (!bias)
    return std::nullopt;
  Value result = loomir::LayerNormOp::create(
      builder, locOf(call.loc), input->getType(), *input, *gain, *bias,
      builder.getF32FloatAttr(*eps));
  return tensorValue(result, call.loc, "the result of layer_norm");
}

// rms_norm(input, eps=1e-6, weight_init=ones): x / sqrt(mean(x²) + eps) · g
// over the last dimension C, with SCOPE.weight [C].
std::optional<SemValue> ModelBuilder::buildRmsNorm(const Expr &call, Args args,
                                                   StringRef scope) {
  std::optional<Value> input = asTensor(*args[0], "the input of rms_norm");
  if (!input)
    return std::nullopt;
  if (shapeOf(*input).empty())
    return fail(args[0]->loc, "the input of rms_norm must have a dimension to "
                              "normalize over, but " +
                                  args[0]->text + " is a scalar");
  std::optional<float> eps = epsilonOf(*this, args[1], 1e-6, "eps of rms_norm");
  if (!eps)
    return std::nullopt;
  auto weightInit =
      initOr(args[2], loomir::InitAttr::get(&context, loomir::InitKind::ones),
             "weight_init of rms_norm");
  if (!weightInit)
    return std::nullopt;
  std::optional<Value> gain = addParameter(
      scope.str() + ".weight", {shapeOf(*input).back()}, *weightInit, call.loc);
  if (!gain)
    return std::nullopt;
  Value result =
      loomir::RmsNormOp::create(builder, locOf(call.loc), input->getType(),
                                *input, *gain, builder.getF32FloatAttr(*eps));
  return tensorValue(result, call.loc, "the result of rms_norm");
}

//===----------------------------------------------------------------------===//
// Operations on tensors
//===----------------------------------------------------------------------===//

// matmul(lhs, rhs, transpose_b=false): lhs [..., K] times rhs [K, N], or
// times rhsᵀ for rhs [N, K] (a tied embedding table as the output layer).
std::optional<SemValue> ModelBuilder::buildMatmul(const Expr &call, Args args,
                                                  StringRef) {
  std::optional<Value> lhs = asTensor(*args[0], "the left operand of matmul");
  if (!lhs)
    return std::nullopt;
  std::optional<Value> rhs =
      asTensor(*args[1], "the right operand of matmul", 2);
  if (!rhs)
    return std::nullopt;
  bool transposeB = false;
  if (args[2]) {
    std::optional<bool> t = asBool(*args[2], "transpose_b of matmul");
    if (!t)
      return std::nullopt;
    transposeB = *t;
  }
  llvm::ArrayRef<int64_t> lhsShape = shapeOf(*lhs), rhsShape = shapeOf(*rhs);
  if (lhsShape.size() < 2)
    return fail(args[0]->loc,
                "the left operand of matmul must have rows: at least "
                "2 dimensions, but " +
                    args[0]->text + " is " + typeText(lhs->getType()));
  int64_t rhsInner = transposeB ? rhsShape[1] : rhsShape[0];
  if (lhsShape.back() != rhsInner)
    return fail(
        call.loc,
        transposeB
            ? "matmul with transpose_b=true needs the columns of "
              "both operands to agree, but " +
                  args[0]->text + " is " + typeText(lhs->getType()) + " and " +
                  args[1]->text + " is " + typeText(rhs->getType())
            : "matmul needs the columns of its left operand to "
              "equal the rows of its right one, but " +
                  args[0]->text + " is " + typeText(lhs->getType()) + " and " +
                  args[1]->text + " is " + typeText(rhs->getType()));
  if (!checkSize(
          loomir::withLastDim(lhsShape, transposeB ? rhsShape[0] : rhsShape[1]),
          call.loc, "the result of matmul"))
    return std::nullopt;
  return tensorValue(loomir::createMatmul(builder, locOf(call.loc), *lhs, *rhs,
                                          /*transposeLhs=*/false, transposeB),
                     call.loc, "the result of matmul");
}

std::optional<SemValue> ModelBuilder::buildAddCall(const Expr &call, Args args,
                                                   StringRef) {
  std::optional<Value> lhs = asTensor(*args[0], "the left operand of '+'");
  if (!lhs)
    return std::nullopt;
  std::optional<Value> rhs = asTensor(*args[1], "the right operand of '+'");
  if (!rhs)
    return std::nullopt;
  if (failed(loomir::addResultShape(shapeOf(*lhs), shapeOf(*rhs))))
    return fail(call.loc,
                "cannot add " + args[0]->text + ", " +
                    typeText(lhs->getType()) + ", and " + args[1]->text + ", " +
                    typeText(rhs->getType()) +
                    ": the shapes must be equal, or the lower-rank one must "
                    "equal the trailing dimensions of the other");
  return tensorValue(loomir::createAdd(builder, locOf(call.loc), *lhs, *rhs),
                     call.loc, "the sum");
}

std::optional<SemValue> ModelBuilder::activation(const Expr &call, Args args,
                                                 loomir::Activation kind) {
  std::optional<Value> input = asTensor(*args[0], "the input of " + call.name);
  if (!input)
    return std::nullopt;
  return tensorValue(
      loomir::createActivation(builder, locOf(call.loc), kind, *input),
      call.loc, "the result of " + call.name);
}

// gelu(input, approximate="tanh"): torch.nn.GELU's `approximate`, "tanh"
// (GPT-2's) or "none" (the exact erf form).
std::optional<SemValue> ModelBuilder::buildGelu(const Expr &call, Args args,
                                                StringRef) {
  loomir::Activation kind = loomir::Activation::gelu;
  if (args[1]) {
    std::optional<std::string> approximate =
        asString(*args[1], "approximate of gelu");
    if (!approximate)
      return std::nullopt;
    if (*approximate != "tanh" && *approximate != "none")
      return fail(args[1]->loc,
                  "approximate of gelu must be \"tanh\" or \"none\" "
                  "(exact, with erf), not \"" +
                      *approximate + "\"");
    if (*approximate == "none")
      kind = loomir::Activation::gelu_erf;
  }
  return activation(call, args, kind);
}
std::optional<SemValue> ModelBuilder::buildRelu(const Expr &call, Args args,
                                                StringRef) {
  return activation(call, args, loomir::Activation::relu);
}
std::optional<SemValue> ModelBuilder::buildTanh(const Expr &call, Args args,
                                                StringRef) {
  return activation(call, args, loomir::Activation::tanh);
}
std::optional<SemValue> ModelBuilder::buildSilu(const Expr &call, Args args,
                                                StringRef) {
  return activation(call, args, loomir::Activation::silu);
}

// swiglu(gate, up): silu(gate) · up.
std::optional<SemValue> ModelBuilder::buildSwiglu(const Expr &call, Args args,
                                                  StringRef) {
  std::optional<Value> gate = asTensor(*args[0], "the gate of swiglu");
  if (!gate)
    return std::nullopt;
  std::optional<Value> up = asTensor(*args[1], "the up operand of swiglu");
  if (!up)
    return std::nullopt;
  if (gate->getType() != up->getType())
    return fail(call.loc, "swiglu needs gate and up of one shape, but " +
                              args[0]->text + " is " +
                              typeText(gate->getType()) + " and " +
                              args[1]->text + " is " + typeText(up->getType()));
  return tensorValue(
      loomir::SwigluOp::create(builder, locOf(call.loc), *gate, *up), call.loc,
      "the result of swiglu");
}

// attention(query, key, value, heads=H, kv_heads=H), or attention(qkv,
// heads=H, kv_heads=H) with the three packed along the last dimension as
// [q | k | v]: causal multi-head self-attention over [batch, seq, ·].
std::optional<SemValue> ModelBuilder::buildAttention(const Expr &call,
                                                     Args args, StringRef) {
  if (!args[3])
    return fail(call.loc, "attention needs heads=: the number of query heads");
  std::optional<int64_t> heads = asPositive(*args[3], "heads of attention");
  if (!heads)
    return std::nullopt;
  std::optional<int64_t> kvHeads = heads;
  if (args[4] && !(kvHeads = asPositive(*args[4], "kv_heads of attention")))
    return std::nullopt;
  if (*heads % *kvHeads != 0)
    return fail(args[4]->loc, "kv_heads of attention must divide heads (" +
                                  Twine(*heads) + "), got " + Twine(*kvHeads));
  if (args[1].has_value() != args[2].has_value())
    return fail(call.loc,
                "attention takes query, key and value, or one packed "
                "[q | k | v] tensor; give both key and value or neither");
  bool packed = !args[1];
  std::optional<Value> query =
      asTensor(*args[0],
               packed ? "the packed [q | k | v] input of attention"
                      : "the query of attention",
               3);
  if (!query)
    return std::nullopt;
  llvm::ArrayRef<int64_t> qShape = shapeOf(*query);
  int64_t batch = qShape[0], seq = qShape[1];
  mlir::Location loc = locOf(call.loc);
  Value q = *query, k, v;
  int64_t headDim;
  if (packed) {
    int64_t width = qShape[2], columns = *heads + 2 * *kvHeads;
    if (width % columns != 0)
      return fail(args[0]->loc,
                  "the packed input of attention must be " + Twine(*heads) +
                      " query heads and " + Twine(*kvHeads) +
                      " key and value heads of one "
                      "width, but its width " +
                      Twine(width) + " is not a multiple of " + Twine(columns));
    headDim = width / columns;
    auto part = [&](int64_t offset, int64_t partHeads) -> Value {
      return loomir::SliceOp::create(
          builder, loc, f32Type({batch, seq, partHeads * headDim}), *query,
          builder.getI64IntegerAttr(2),
          builder.getI64IntegerAttr(offset * headDim), Value());
    };
    q = part(0, *heads);
    k = part(*heads, *kvHeads);
    v = part(*heads + *kvHeads, *kvHeads);
  } else {
    std::optional<Value> key = asTensor(*args[1], "the key of attention", 3);
    if (!key)
      return std::nullopt;
    std::optional<Value> value =
        asTensor(*args[2], "the value of attention", 3);
    if (!value)
      return std::nullopt;
    if (qShape[2] % *heads != 0)
      return fail(args[0]->loc,
                  "the query of attention must be " + Twine(*heads) +
                      " heads of one width, but its width " + Twine(qShape[2]) +
                      " is not a multiple of " + Twine(*heads));
    headDim = qShape[2] / *heads;
    llvm::SmallVector<int64_t> kvShape = {batch, seq, *kvHeads * headDim};
    for (auto [value, arg, what] : {std::tuple{*key, &args[1], "key"},
                                    std::tuple{*value, &args[2], "value"}}) {
      if (shapeOf(value) != llvm::ArrayRef<int64_t>(kvShape))
        return fail((*arg)->loc,
                    Twine("the ") + what + " of attention must be f32" +
                        shapeText(kvShape) + " (" + Twine(*kvHeads) +
                        " heads of " + Twine(headDim) + "), but " +
                        (*arg)->text + " is " + typeText(value.getType()));
    }
    k = *key;
    v = *value;
  }
  auto attention = loomir::AttentionOp::create(
      builder, loc, q.getType(), f32Type({batch, *heads, seq}), q, k, v,
      builder.getI64IntegerAttr(*heads), builder.getI64IntegerAttr(*kvHeads));
  return tensorValue(attention.getOutput(), call.loc,
                     "the result of attention");
}

// rope(input, heads, theta=10000): rotary position embedding of each head
// of [batch, seq, heads·D], Hugging Face Llama's rotate-half convention.
std::optional<SemValue> ModelBuilder::buildRope(const Expr &call, Args args,
                                                StringRef) {
  std::optional<Value> input = asTensor(*args[0], "the input of rope", 3);
  if (!input)
    return std::nullopt;
  std::optional<int64_t> heads = asPositive(*args[1], "heads of rope");
  if (!heads)
    return std::nullopt;
  double theta = 10000.0;
  if (args[2]) {
    std::optional<double> t = asReal(*args[2], "theta of rope");
    if (!t)
      return std::nullopt;
    if (!(*t > 1.0))
      return fail(args[2]->loc,
                  "theta of rope must exceed 1, got " + numberText(*t));
    theta = *t;
  }
  int64_t width = shapeOf(*input)[2];
  if (width % *heads != 0 || (width / *heads) % 2 != 0)
    return fail(args[0]->loc,
                "rope rotates pairs of columns in each head, so the "
                "width of " +
                    args[0]->text + " (" + Twine(width) + ") must be " +
                    Twine(*heads) + " heads of an even width");
  Value result = loomir::RopeOp::create(
      builder, locOf(call.loc), input->getType(), *input, /*position=*/Value(),
      /*positions=*/nullptr, builder.getI64IntegerAttr(*heads),
      builder.getF64FloatAttr(theta));
  return tensorValue(result, call.loc, "the result of rope");
}

// slice(input, start, size, axis=-1): input[..., start : start + size, ...]
// along `axis`.
std::optional<SemValue> ModelBuilder::buildSlice(const Expr &call, Args args,
                                                 StringRef) {
  std::optional<Value> input = asTensor(*args[0], "the input of slice");
  if (!input)
    return std::nullopt;
  llvm::ArrayRef<int64_t> shape = shapeOf(*input);
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = rank - 1;
  if (args[3]) {
    std::optional<int64_t> a = asInteger(*args[3], "axis of slice");
    if (!a)
      return std::nullopt;
    if (*a < -rank || *a >= rank)
      return fail(args[3]->loc, "axis " + Twine(*a) +
                                    " of slice is outside the " + Twine(rank) +
                                    " dimensions of " + args[0]->text);
    axis = *a < 0 ? *a + rank : *a;
  }
  if (rank == 0)
    return fail(args[0]->loc,
                "slice needs a tensor with dimensions, not a scalar");
  std::optional<int64_t> start = asInteger(*args[1], "start of slice");
  if (!start)
    return std::nullopt;
  std::optional<int64_t> size = asPositive(*args[2], "size of slice");
  if (!size)
    return std::nullopt;
  if (*start < 0 || *start > shape[axis] - *size)
    return fail(call.loc, "slice [" + Twine(*start) + ", " + Twine(*start) +
                              " + " + Twine(*size) + ") is outside dimension " +
                              Twine(axis) + " of " + args[0]->text + ", " +
                              typeText(input->getType()));
  llvm::SmallVector<int64_t> resultShape(shape);
  resultShape[axis] = *size;
  Value result = loomir::SliceOp::create(
      builder, locOf(call.loc), f32Type(resultShape), *input,
      builder.getI64IntegerAttr(axis), builder.getI64IntegerAttr(*start),
      Value());
  return tensorValue(result, call.loc, "the result of slice");
}

// cross_entropy(logits, labels): logits [..., C], labels [...] in [0, C).
std::optional<SemValue> ModelBuilder::buildCrossEntropy(const Expr &call,
                                                        Args args, StringRef) {
  std::optional<Value> logits =
      asTensor(*args[0], "the logits of cross_entropy");
  if (!logits)
    return std::nullopt;
  llvm::ArrayRef<int64_t> logitsShape = shapeOf(*logits);
  if (logitsShape.size() < 2)
    return fail(args[0]->loc,
                "the logits of cross_entropy must be rows of class "
                "scores, at least 2 dimensions, but " +
                    args[0]->text + " is " + typeText(logits->getType()));
  std::optional<Value> labels =
      asTensor(*args[1], "the labels of cross_entropy", 0, /*f32=*/false);
  if (!labels)
    return std::nullopt;
  if (shapeOf(*labels) != logitsShape.drop_back())
    return fail(call.loc,
                "cross_entropy needs one label per row of logits, i32" +
                    shapeText(logitsShape.drop_back()) + ", but " +
                    args[0]->text + " is " + typeText(logits->getType()) +
                    " and " + args[1]->text + " is " +
                    typeText(labels->getType()));
  Value loss = loomir::CrossEntropyOp::create(builder, locOf(call.loc),
                                              f32Type({}), *logits, *labels);
  return tensorValue(loss, call.loc, "the loss");
}

std::optional<SemValue> ModelBuilder::buildMse(const Expr &call, Args args,
                                               StringRef) {
  std::optional<Value> prediction = asTensor(*args[0], "the prediction of mse");
  if (!prediction)
    return std::nullopt;
  std::optional<Value> target = asTensor(*args[1], "the target of mse");
  if (!target)
    return std::nullopt;
  if (prediction->getType() != target->getType())
    return fail(call.loc, "mse needs prediction and target of one shape, but " +
                              args[0]->text + " is " +
                              typeText(prediction->getType()) + " and " +
                              args[1]->text + " is " +
                              typeText(target->getType()));
  Value loss = loomir::MseOp::create(builder, locOf(call.loc), f32Type({}),
                                     *prediction, *target);
  return tensorValue(loss, call.loc, "the loss");
}

//===----------------------------------------------------------------------===//
// Initializers and numbers
//===----------------------------------------------------------------------===//

std::optional<SemValue> ModelBuilder::buildNormal(const Expr &call, Args args,
                                                  StringRef) {
  std::optional<double> std = asReal(*args[0], "std of normal");
  if (!std)
    return std::nullopt;
  if (*std < 0)
    return fail(args[0]->loc, "std of normal must not be negative");
  SemValue value;
  value.kind = SemValue::Kind::init;
  value.loc = call.loc;
  value.init = loomir::InitAttr::get(&context, loomir::InitKind::normal, *std);
  return value;
}

std::optional<SemValue> ModelBuilder::buildUniform(const Expr &call, Args args,
                                                   StringRef) {
  std::optional<double> low = asReal(*args[0], "low of uniform");
  if (!low)
    return std::nullopt;
  std::optional<double> high = asReal(*args[1], "high of uniform");
  if (!high)
    return std::nullopt;
  if (!(*low < *high))
    return fail(call.loc, "uniform needs low < high, got " + numberText(*low) +
                              " and " + numberText(*high));
  SemValue value;
  value.kind = SemValue::Kind::init;
  value.loc = call.loc;
  value.init =
      loomir::InitAttr::get(&context, loomir::InitKind::uniform, *low, *high);
  return value;
}

std::optional<SemValue> ModelBuilder::buildSqrt(const Expr &call, Args args,
                                                StringRef) {
  std::optional<double> x = asReal(*args[0], "the argument of sqrt");
  if (!x)
    return std::nullopt;
  if (*x < 0)
    return fail(args[0]->loc, "sqrt of a negative number, " + numberText(*x));
  SemValue value;
  value.kind = SemValue::Kind::real;
  value.loc = call.loc;
  value.real = std::sqrt(*x);
  return value;
}
