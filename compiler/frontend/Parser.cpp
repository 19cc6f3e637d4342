//===- Parser.cpp - Parser of the .loom definition language ---------------===//
//
// Recursive descent over the grammar in docs/language.md. The parser stops at
// the first syntax error: later errors would mostly be consequences of it.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Parser.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/WithColor.h"

using namespace loomc::frontend;
using llvm::SMLoc;
using llvm::StringRef;

bool ErrorReporter::report(SMLoc loc, const llvm::Twine &message) {
  ++errorCount;
  if (loc.isValid())
    sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
  else
    llvm::WithColor::error(llvm::errs()) << message << "\n";
  return false;
}

void ErrorReporter::note(SMLoc loc, const llvm::Twine &message) {
  sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message);
}

namespace {

class Parser {
public:
  Parser(StringRef buffer, ErrorReporter &errors)
      : lexer(buffer), errors(errors) {
    advance();
  }

  std::optional<ModelAST> parseFile();

private:
  void advance() { token = lexer.next(); }
  Token peek() const {
    Lexer copy = lexer;
    return copy.next();
  }
  bool at(TokenKind kind) const { return token.kind == kind; }
  bool atKeyword(StringRef word) const {
    return at(TokenKind::identifier) && token.text == word;
  }
  bool fail(const llvm::Twine &expected) {
    if (at(TokenKind::error) && token.text.starts_with("\""))
      return errors.report(token.loc(), "unterminated string: a string ends "
                                        "with '\"' on the line it starts");
    if (at(TokenKind::error))
      return errors.report(token.loc(), "unexpected character '" +
                                            token.text + "'");
    return errors.report(token.loc(), "expected " + expected + ", found " +
                                          describeToken(token));
  }
  bool expect(TokenKind kind, const llvm::Twine &what) {
    if (!at(kind))
      return fail(what);
    advance();
    return true;
  }
  bool parseName(std::string &name, SMLoc &loc, const llvm::Twine &what);

  bool parseStatement(std::vector<Stmt> &stmts, bool inBlock);
  bool parseBlock(Stmt &stmt);
  bool parseSimpleStatement(std::vector<Stmt> &stmts, SMLoc loc,
                            StringRef word);
  bool parseTensorType(TensorTypeExpr &type);
  ExprPtr parseExpr();
  ExprPtr parseProduct();
  ExprPtr parseUnary();
  ExprPtr parsePrimary();
  bool parseArguments(Expr &call);

  Lexer lexer;
  Token token;
  ErrorReporter &errors;
};

} // namespace

static bool isKeyword(StringRef word) {
  return llvm::StringSwitch<bool>(word)
      .Cases({"model", "const", "input", "param", "minimize", "block",
              "return"},
             true)
      .Default(false);
}

bool Parser::parseName(std::string &name, SMLoc &loc, const llvm::Twine &what) {
  if (!at(TokenKind::identifier))
    return fail(what);
  if (isKeyword(token.text))
    return errors.report(token.loc(), "'" + token.text +
                                          "' is a keyword and cannot name " +
                                          what);
  if (token.text.contains('.'))
    return errors.report(token.loc(),
                         "'" + token.text + "' cannot name " + what +
                             ": dotted names refer to parameters, such as "
                             "wte.weight");
  name = token.text.str();
  loc = token.loc();
  advance();
  return true;
}

std::optional<ModelAST> Parser::parseFile() {
  ModelAST model;
  while (true) {
    while (at(TokenKind::newline))
      advance();
    if (at(TokenKind::eof))
      return model;
    if (!parseStatement(model.stmts, /*inBlock=*/false))
      return std::nullopt;
    if (!at(TokenKind::newline) && !at(TokenKind::eof)) {
      fail("end of line after the statement");
      return std::nullopt;
    }
  }
}

bool Parser::parseStatement(std::vector<Stmt> &stmts, bool inBlock) {
  if (!at(TokenKind::identifier))
    return fail(inBlock ? "a statement of the block (const, param, return or "
                          "NAME = expression) or '}'"
                        : "a statement (model, const, input, param, block, "
                          "minimize or NAME = expression)");
  SMLoc loc = token.loc();
  StringRef word = token.text;
  if (inBlock && (word == "model" || word == "input" || word == "minimize" ||
                  word == "block"))
    return errors.report(loc, "'" + word +
                                  "' is not allowed inside a block; blocks "
                                  "hold const, param, value definitions and "
                                  "'return'");
  if (!inBlock && word == "return")
    return errors.report(loc, "'return' belongs inside a block");
  if (word == "block") {
    advance();
    Stmt stmt(Stmt::Kind::block, loc);
    if (!parseName(stmt.name, stmt.nameLoc, "a block") || !parseBlock(stmt))
      return false;
    stmts.push_back(std::move(stmt));
    return true;
  }
  if (word == "return") {
    advance();
    Stmt stmt(Stmt::Kind::ret, loc);
    if (!(stmt.value = parseExpr()))
      return false;
    stmts.push_back(std::move(stmt));
    return true;
  }
  return parseSimpleStatement(stmts, loc, word);
}

bool Parser::parseSimpleStatement(std::vector<Stmt> &stmts, SMLoc loc,
                                  StringRef word) {
  if (word == "model") {
    advance();
    Stmt stmt(Stmt::Kind::model, loc);
    if (!parseName(stmt.name, stmt.nameLoc, "the model's name"))
      return false;
    stmts.push_back(std::move(stmt));
    return true;
  }
  if (word == "const") {
    advance();
    Stmt stmt(Stmt::Kind::constant, loc);
    if (!parseName(stmt.name, stmt.nameLoc, "a constant's name") ||
        !expect(TokenKind::equal, "'=' after the constant's name"))
      return false;
    if (!(stmt.value = parseExpr()))
      return false;
    stmts.push_back(std::move(stmt));
    return true;
  }
  if (word == "input" || word == "param") {
    bool isInput = word == "input";
    advance();
    Stmt stmt(isInput ? Stmt::Kind::input : Stmt::Kind::param, loc);
    if (!parseName(stmt.name, stmt.nameLoc,
                   isInput ? "an input's name" : "a parameter's name") ||
        !expect(TokenKind::colon, "':' and a tensor type such as "
                                  "f32[batch, features]") ||
        !parseTensorType(stmt.type))
      return false;
    if (!isInput) {
      if (!expect(TokenKind::equal,
                  "'=' and an initializer (normal(std), uniform(low, high), "
                  "zeros or ones)"))
        return false;
      if (!(stmt.value = parseExpr()))
        return false;
    }
    stmts.push_back(std::move(stmt));
    return true;
  }
  if (word == "minimize") {
    advance();
    Stmt stmt(Stmt::Kind::minimize, loc);
    if (!(stmt.value = parseExpr()))
      return false;
    stmts.push_back(std::move(stmt));
    return true;
  }

  Stmt stmt(Stmt::Kind::let, loc);
  if (!parseName(stmt.name, stmt.nameLoc, "a value's name"))
    return false;
  if (!at(TokenKind::equal))
    return errors.report(
        token.loc(), "expected '=' after '" + stmt.name +
                         "': a statement is 'NAME = expression' or starts "
                         "with model, const, input, param, block or "
                         "minimize");
  advance();
  if (!(stmt.value = parseExpr()))
    return false;
  stmts.push_back(std::move(stmt));
  return true;
}

// block NAME '(' [NAME {',' NAME}] ')' '{' NEWLINE {statement NEWLINE} '}'
bool Parser::parseBlock(Stmt &stmt) {
  stmt.block = std::make_unique<BlockDef>();
  BlockDef &block = *stmt.block;
  if (!expect(TokenKind::lparen, "'(' and the block's parameters"))
    return false;
  while (!at(TokenKind::rparen)) {
    std::string param;
    SMLoc paramLoc;
    if (!parseName(param, paramLoc, "a block parameter"))
      return false;
    for (const std::string &earlier : block.params)
      if (earlier == param)
        return errors.report(paramLoc, "block parameter '" + param +
                                            "' is listed twice");
    block.params.push_back(param);
    block.paramLocs.push_back(paramLoc);
    if (at(TokenKind::rparen))
      break;
    if (!expect(TokenKind::comma, "',' or ')' in the block's parameters"))
      return false;
  }
  advance();
  if (!expect(TokenKind::lbrace, "'{' to open the block's body"))
    return false;
  if (!at(TokenKind::newline))
    return fail("the end of the line after '{'; the block's statements go "
                "on their own lines");
  while (true) {
    while (at(TokenKind::newline))
      advance();
    if (at(TokenKind::rbrace))
      break;
    if (at(TokenKind::eof))
      return errors.report(stmt.nameLoc, "block '" + stmt.name +
                                             "' has no closing '}'");
    if (!parseStatement(block.body, /*inBlock=*/true))
      return false;
    if (!at(TokenKind::newline))
      return fail("end of line after the statement");
  }
  block.end = token.loc();
  advance();
  return true;
}

bool Parser::parseTensorType(TensorTypeExpr &type) {
  type.loc = token.loc();
  if (atKeyword("f32"))
    type.dtype = DType::f32;
  else if (atKeyword("i32"))
    type.dtype = DType::i32;
  else
    return fail("an element type, f32 or i32");
  advance();
  if (!expect(TokenKind::lbracket, "'[' and the tensor's dimensions"))
    return false;
  while (true) {
    ExprPtr dim = parseExpr();
    if (!dim)
      return false;
    type.dims.push_back(std::move(dim));
    if (at(TokenKind::rbracket))
      break;
    if (!expect(TokenKind::comma, "',' or ']' in the dimension list"))
      return false;
  }
  advance();
  return true;
}

// expr := product (('+' | '-') product)*
ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseProduct();
  while (lhs && (at(TokenKind::plus) || at(TokenKind::minus))) {
    auto binary = std::make_unique<Expr>(Expr::Kind::binary, token.loc());
    binary->op = token.text[0];
    advance();
    binary->lhs = std::move(lhs);
    if (!(binary->rhs = parseProduct()))
      return nullptr;
    lhs = std::move(binary);
  }
  return lhs;
}

// product := unary (('*' | '/') unary)*
ExprPtr Parser::parseProduct() {
  ExprPtr lhs = parseUnary();
  while (lhs && (at(TokenKind::star) || at(TokenKind::slash))) {
    auto binary = std::make_unique<Expr>(Expr::Kind::binary, token.loc());
    binary->op = token.text[0];
    advance();
    binary->lhs = std::move(lhs);
    if (!(binary->rhs = parseUnary()))
      return nullptr;
    lhs = std::move(binary);
  }
  return lhs;
}

// unary := '-' unary | primary
ExprPtr Parser::parseUnary() {
  if (!at(TokenKind::minus))
    return parsePrimary();
  auto negate = std::make_unique<Expr>(Expr::Kind::negate, token.loc());
  advance();
  if (!(negate->lhs = parseUnary()))
    return nullptr;
  return negate;
}

// primary := integer | real | NAME | NAME '(' arguments ')' | '(' expr ')'
ExprPtr Parser::parsePrimary() {
  SMLoc loc = token.loc();
  switch (token.kind) {
  case TokenKind::integer: {
    auto expr = std::make_unique<Expr>(Expr::Kind::integer, loc);
    if (token.text.getAsInteger(10, expr->integer)) {
      errors.report(loc, "integer " + token.text + " is too large");
      return nullptr;
    }
    advance();
    return expr;
  }
  case TokenKind::real: {
    auto expr = std::make_unique<Expr>(Expr::Kind::real, loc);
    if (token.text.getAsDouble(expr->real)) {
      errors.report(loc, "malformed number " + token.text);
      return nullptr;
    }
    advance();
    return expr;
  }
  case TokenKind::string: {
    auto expr = std::make_unique<Expr>(Expr::Kind::string, loc);
    expr->name = token.text.drop_front().drop_back().str();
    advance();
    return expr;
  }
  case TokenKind::identifier: {
    bool isCall = peek().kind == TokenKind::lparen;
    if (token.text.contains('.')) {
      if (isCall) {
        errors.report(loc, "'" + token.text + "' is not an operation or a "
                           "block; dotted names refer to parameters");
        return nullptr;
      }
      auto expr = std::make_unique<Expr>(Expr::Kind::path, loc);
      expr->name = token.text.str();
      advance();
      return expr;
    }
    auto expr = std::make_unique<Expr>(
        isCall ? Expr::Kind::call : Expr::Kind::name, loc);
    expr->name = token.text.str();
    advance();
    if (isCall && !parseArguments(*expr))
      return nullptr;
    return expr;
  }
  case TokenKind::lparen: {
    advance();
    ExprPtr inner = parseExpr();
    if (!inner || !expect(TokenKind::rparen, "')' to close the parenthesis"))
      return nullptr;
    return inner;
  }
  default:
    fail("an expression");
    return nullptr;
  }
}

// arguments := '(' [argument (',' argument)*] ')'
// argument := expr | NAME '=' expr
bool Parser::parseArguments(Expr &call) {
  advance(); // '('
  if (at(TokenKind::rparen)) {
    advance();
    return true;
  }
  bool sawKeyword = false;
  while (true) {
    Argument arg;
    if (at(TokenKind::identifier) && !token.text.contains('.') &&
        peek().kind == TokenKind::equal) {
      arg.keyword = token.text.str();
      arg.keywordLoc = token.loc();
      advance();
      advance();
      sawKeyword = true;
    } else if (sawKeyword) {
      return errors.report(token.loc(), "positional argument after a keyword "
                                        "argument in the call to '" +
                                            call.name + "'");
    }
    if (!(arg.value = parseExpr()))
      return false;
    call.args.push_back(std::move(arg));
    if (at(TokenKind::rparen))
      break;
    if (!expect(TokenKind::comma, "',' or ')' in the arguments of '" +
                                      call.name + "'"))
      return false;
  }
  advance();
  return true;
}

std::optional<ModelAST> loomc::frontend::parseModel(llvm::SourceMgr &sourceMgr,
                                                   ErrorReporter &errors) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  Parser parser(buffer->getBuffer(), errors);
  return parser.parseFile();
}
