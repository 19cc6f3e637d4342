//===- FrontendTest.cpp - Unit tests of the .loom lexer, parser and builder ===//

#include "compiler/frontend/Lexer.h"
#include "compiler/frontend/ModelBuilder.h"
#include "compiler/frontend/ModelBuilderImpl.h"
#include "compiler/frontend/Parser.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/IR/ModelSignature.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/SourceMgr.h"
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <set>

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

//===----------------------------------------------------------------------===//
// docs/language.md against the builtins table
//===----------------------------------------------------------------------===//

// The calls `NAME(ARGS)` in the first cell of a table row of the docs.
std::vector<std::pair<std::string, std::vector<std::string>>>
documentedCalls(const std::string &line) {
  std::vector<std::pair<std::string, std::vector<std::string>>> calls;
  if (line.rfind("| `", 0) != 0)
    return calls;
  std::string cell = line.substr(2, line.find(" |", 2) - 2);
  for (size_t open = cell.find('`'); open != std::string::npos;
       open = cell.find('`', open)) {
    size_t close = cell.find('`', open + 1);
    if (close == std::string::npos)
      break;
    std::string code = cell.substr(open + 1, close - open - 1);
    open = close + 1;
    size_t paren = code.find('(');
    if (paren == std::string::npos || code.back() != ')')
      continue;
    std::vector<std::string> args;
    std::string current;
    int depth = 0;
    for (char c : code.substr(paren + 1, code.size() - paren - 2)) {
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (c == ',' && depth == 0) {
        args.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    if (!current.empty())
      args.push_back(current);
    calls.push_back({code.substr(0, paren), args});
  }
  return calls;
}

std::string trimmed(const std::string &text) {
  size_t begin = text.find_first_not_of(' ');
  size_t end = text.find_last_not_of(' ');
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

// Every operation, initializer and function the docs list takes the
// arguments the builtins table gives it, by those names, in that order,
// with defaults only for optional ones; and every builtin and every one of
// its arguments is documented. (The table is what loomc binds arguments
// with, so a keyword the docs invent fails here, not in a user's model.)
TEST(Builtins, DocumentedSignaturesMatchTheTable) {
  std::ifstream doc(LOOM_SOURCE_DIR "/docs/language.md");
  ASSERT_TRUE(doc) << "cannot read docs/language.md";
  std::map<std::string, std::set<std::string>> documented;
  std::string line;
  for (int number = 1; std::getline(doc, line); ++number) {
    for (const auto &[name, args] : documentedCalls(line)) {
      const Builtin *builtin = lookupBuiltin(name);
      if (!builtin) {
        ADD_FAILURE() << "docs/language.md:" << number << ": " << name
                      << " is not an operation of the language";
        continue;
      }
      size_t previous = 0;
      std::set<std::string> given;
      for (const std::string &arg : args) {
        std::string param = trimmed(arg.substr(0, arg.find('=')));
        bool defaulted = arg.find('=') != std::string::npos;
        auto it = std::find(builtin->params.begin(), builtin->params.end(), param);
        if (it == builtin->params.end()) {
          ADD_FAILURE() << "docs/language.md:" << number << ": " << name
                        << " has no argument '" << param << "'";
          continue;
        }
        size_t index = it - builtin->params.begin();
        EXPECT_GE(index, previous) << "docs/language.md:" << number << ": "
                                   << name << "'s '" << param
                                   << "' out of order";
        previous = index;
        EXPECT_FALSE(defaulted && index < builtin->required)
            << "docs/language.md:" << number << ": " << name << "'s '" << param
            << "' is required, but documented with a default";
        given.insert(param);
        documented[name.c_str()].insert(param);
      }
      for (unsigned i = 0; i < builtin->required; ++i)
        EXPECT_TRUE(given.count(builtin->params[i].str()))
            << "docs/language.md:" << number << ": " << name
            << " leaves out its required '" << builtin->params[i].str() << "'";
    }
  }
  for (const Builtin &builtin : builtins()) {
    std::string name = builtin.name.str();
    if (!documented.count(name)) {
      ADD_FAILURE() << name << " is not documented in docs/language.md";
      continue;
    }
    for (llvm::StringRef param : builtin.params)
      EXPECT_TRUE(documented[name].count(param.str()))
          << "docs/language.md does not document " << name << "'s '"
          << param.str() << "'";
  }
}

} // namespace
