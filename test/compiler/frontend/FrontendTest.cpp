//===- FrontendTest.cpp - Unit tests of the .loom lexer, parser and builder ===//

#include "compiler/frontend/Lexer.h"
#include "compiler/frontend/ModelBuilder.h"
#include "compiler/frontend/Parser.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/SourceMgr.h"
#include <gtest/gtest.h>

using namespace loomc::frontend;

namespace {

std::vector<TokenKind> kinds(llvm::StringRef text) {
  Lexer lexer(text);
  std::vector<TokenKind> result;
  for (Token t = lexer.next(); t.kind != TokenKind::eof; t = lexer.next())
    result.push_back(t.kind);
  return result;
}

TEST(Lexer, NumbersNamesAndComments) {
  EXPECT_EQ(kinds("a = 1.5e-3 # comment\nb"),
            (std::vector<TokenKind>{TokenKind::identifier, TokenKind::equal,
                                    TokenKind::real, TokenKind::newline,
                                    TokenKind::identifier}));
  EXPECT_EQ(kinds("2e x"), (std::vector<TokenKind>{TokenKind::integer,
                                                    TokenKind::identifier,
                                                    TokenKind::identifier}));
  EXPECT_EQ(kinds(".25"), (std::vector<TokenKind>{TokenKind::real}));
}

TEST(Lexer, PathsAndStrings) {
  // h.0.attn is one token, not h, .0, .attn: its numeric part is no number.
  EXPECT_EQ(kinds("h.0.attn.weight \"none\" x.5"),
            (std::vector<TokenKind>{TokenKind::identifier, TokenKind::string,
                                    TokenKind::identifier}));
  EXPECT_EQ(kinds("\"open"), (std::vector<TokenKind>{TokenKind::error}));
}

TEST(Lexer, NewlinesInsideBracketsAreSpace) {
  EXPECT_EQ(kinds("f(a,\n  b)\n"),
            (std::vector<TokenKind>{TokenKind::identifier, TokenKind::lparen,
                                    TokenKind::identifier, TokenKind::comma,
                                    TokenKind::identifier, TokenKind::rparen,
                                    TokenKind::newline}));
}

// Builds `source` and returns the module, or null with the errors in
// `errors`.
struct Built {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string errors;
};

std::unique_ptr<Built> build(llvm::StringRef source,
                             llvm::StringMap<std::string> overrides = {}) {
  auto built = std::make_unique<Built>();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, "test.loom"), llvm::SMLoc());
  llvm::raw_string_ostream os(built->errors);
  sourceMgr.setDiagHandler(
      [](const llvm::SMDiagnostic &diag, void *context) {
        diag.print(nullptr, *static_cast<llvm::raw_string_ostream *>(context), false);
      },
      &os);
  ModelOptions options;
  options.constantOverrides = std::move(overrides);
  built->module = loadModel(sourceMgr, built->context, options);
  return built;
}

TEST(ModelBuilder, ConstantArithmeticAndPrecedence) {
  auto built = build("const d = 2 + 3 * 4\n"
                     "const h = (d - 2) / 4\n"
                     "input x: f32[h, d]\n"
                     "input t: f32[h, d]\n"
                     "minimize mse(x, t)\n");
  ASSERT_TRUE(built->module) << built->errors;
  auto forward = built->module->lookupSymbol<mlir::func::FuncOp>("forward");
  auto type = mlir::cast<mlir::RankedTensorType>(forward.getArgument(0).getType());
  EXPECT_EQ(type.getShape(), (llvm::ArrayRef<int64_t>{3, 14}));
}

TEST(ModelBuilder, OverridesReplaceConstantsBeforeUse) {
  auto built = build("const n = 4\nconst m = 2 * n\ninput x: f32[m, n]\n"
                     "input t: f32[m, n]\nminimize mse(x, t)\n",
                     {{"n", "6"}});
  ASSERT_TRUE(built->module) << built->errors;
  auto forward = built->module->lookupSymbol<mlir::func::FuncOp>("forward");
  auto type = mlir::cast<mlir::RankedTensorType>(forward.getArgument(0).getType());
  EXPECT_EQ(type.getShape(), (llvm::ArrayRef<int64_t>{12, 6}));
}

TEST(ModelBuilder, LinearNamesItsParametersAfterTheBinding) {
  auto built = build("input x: f32[2, 3]\ninput t: f32[2, 5]\n"
                     "layer = linear(x, 5, bias=false, weight_init=zeros)\n"
                     "minimize mse(layer, t)\n");
  ASSERT_TRUE(built->module) << built->errors;
  auto forward = built->module->lookupSymbol<mlir::func::FuncOp>("forward");
  std::vector<std::string> params;
  for (const mlir::loom::ArgumentInfo &info : mlir::loom::describeArguments(forward))
    if (info.role == mlir::loom::ArgumentRole::param) {
      params.push_back(info.name.str());
      EXPECT_EQ(info.init.getKind(), mlir::loom::InitKind::zeros);
    }
  EXPECT_EQ(params, (std::vector<std::string>{"layer.weight"}));
}

// The names of the parameters `source` creates, in order.
std::vector<std::string> parameterNames(Built &built) {
  auto forward = built.module->lookupSymbol<mlir::func::FuncOp>("forward");
  std::vector<std::string> names;
  for (const mlir::loom::ArgumentInfo &info : mlir::loom::describeArguments(forward))
    if (info.role == mlir::loom::ArgumentRole::param)
      names.push_back(info.name.str());
  return names;
}

TEST(ModelBuilder, BlocksNameParametersAfterTheirInstances) {
  auto built = build("block mlp(x) {\n"
                     "  fc = linear(x, 4, bias=false)\n"
                     "  return fc\n"
                     "}\n"
                     "block layer(x) {\n"
                     "  param gain: f32[4] = ones\n"
                     "  inner = mlp(x)\n"
                     "  return inner\n"
                     "}\n"
                     "input x: f32[2, 4]\n"
                     "input t: f32[2, 4]\n"
                     "h = repeat(2, layer, x, name=\"model.layers\")\n"
                     "out = mlp(h)\n"
                     "minimize mse(out, t)\n");
  ASSERT_TRUE(built->module) << built->errors;
  EXPECT_EQ(parameterNames(*built),
            (std::vector<std::string>{
                "model.layers.0.gain", "model.layers.0.inner.fc.weight",
                "model.layers.1.gain", "model.layers.1.inner.fc.weight",
                "out.fc.weight"}));
}

TEST(ModelBuilder, DottedNamesReuseParameters) {
  // A tied output layer: the same table serves the embedding and the
  // product, so both uses reach one function argument.
  auto built = build("input ids: i32[2, 3]\n"
                     "input t: i32[2, 3]\n"
                     "wte = embedding(ids, 10, 4)\n"
                     "logits = matmul(wte, wte.weight, transpose_b=true)\n"
                     "minimize cross_entropy(logits, t)\n");
  ASSERT_TRUE(built->module) << built->errors;
  EXPECT_EQ(parameterNames(*built), (std::vector<std::string>{"wte.weight"}));
  auto forward = built->module->lookupSymbol<mlir::func::FuncOp>("forward");
  mlir::BlockArgument table = forward.getArgument(2);
  EXPECT_EQ(std::distance(table.use_begin(), table.use_end()), 2);
}

TEST(ModelBuilder, RealConstantsTakeRealOverrides) {
  auto built = build("const theta = 10000.0\n"
                     "input q: f32[1, 2, 8]\n"
                     "input t: f32[1, 2, 8]\n"
                     "minimize mse(rope(q, heads=2, theta=theta), t)\n",
                     {{"theta", "500000.5"}});
  ASSERT_TRUE(built->module) << built->errors;
  mlir::loom::RopeOp rope;
  built->module->walk([&](mlir::loom::RopeOp op) { rope = op; });
  ASSERT_TRUE(rope);
  EXPECT_EQ(rope.getTheta().convertToDouble(), 500000.5);
}

TEST(ModelBuilder, ReportsTheFirstErrorWithItsLocation) {
  auto built = build("input x: f32[2, 3]\nh = relu(y)\n");
  EXPECT_FALSE(built->module);
  EXPECT_NE(built->errors.find("test.loom:2:10: error: unknown name 'y'"),
            std::string::npos)
      << built->errors;
}

} // namespace
