//===- Lexer.h - Tokens of the .loom definition language --------*- C++ -*-===//

#ifndef LOOM_COMPILER_FRONTEND_LEXER_H
#define LOOM_COMPILER_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include <string>

namespace loomc::frontend {

enum class TokenKind {
  eof,
  newline, // ends a statement; not produced inside parentheses or brackets
  identifier,
  integer,
  real,
  string, // "text", quotes included; no escapes, no newlines
  lparen,
  rparen,
  lbracket,
  rbracket,
  lbrace,
  rbrace,
  comma,
  colon,
  equal,
  plus,
  minus,
  star,
  slash,
  dot,
  error, // a character the language does not use, or an unclosed string
};

struct Token {
  TokenKind kind = TokenKind::eof;
  llvm::StringRef text;
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
};

// Splits a definition into tokens. `#` starts a comment to the end of the
// line. Newlines end statements, except inside ( ) and [ ], so that a long
// call or shape may span lines; braces { } hold a block's statements, one per
// line.
class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer) : buffer(buffer), cur(buffer.begin()) {}
  Token next();

private:
  Token make(TokenKind kind, const char *start) {
    return Token{kind, llvm::StringRef(start, cur - start)};
  }
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *cur;
  // Depth of open ( and [: newlines inside them are whitespace.
  int nesting = 0;
};

std::string describeToken(const Token &token);

} // namespace loomc::frontend

#endif // LOOM_COMPILER_FRONTEND_LEXER_H
