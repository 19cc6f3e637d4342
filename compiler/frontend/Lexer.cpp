//===- Lexer.cpp - Tokens of the .loom definition language ----------------===//

#include "compiler/frontend/Lexer.h"
#include "llvm/ADT/StringExtras.h"

using namespace loomc::frontend;

void Lexer::skipSpaceAndComments() {
  while (cur != buffer.end()) {
    char c = *cur;
    if (c == '#') {
      while (cur != buffer.end() && *cur != '\n')
        ++cur;
    } else if (c == ' ' || c == '\t' || c == '\r' ||
               (c == '\n' && nesting > 0)) {
      ++cur;
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  const char *start = cur;
  if (cur == buffer.end())
    return make(TokenKind::eof, start);
  char c = *cur++;
  switch (c) {
  case '\n':
    return make(TokenKind::newline, start);
  case '(':
    ++nesting;
    return make(TokenKind::lparen, start);
  case ')':
    nesting = nesting > 0 ? nesting - 1 : 0;
    return make(TokenKind::rparen, start);
  case '[':
    ++nesting;
    return make(TokenKind::lbracket, start);
  case ']':
    nesting = nesting > 0 ? nesting - 1 : 0;
    return make(TokenKind::rbracket, start);
  case '{':
    return make(TokenKind::lbrace, start);
  case '}':
    return make(TokenKind::rbrace, start);
  case ',':
    return make(TokenKind::comma, start);
  case ':':
    return make(TokenKind::colon, start);
  case '=':
    return make(TokenKind::equal, start);
  case '+':
    return make(TokenKind::plus, start);
  case '-':
    return make(TokenKind::minus, start);
  case '*':
    return make(TokenKind::star, start);
  case '/':
    return make(TokenKind::slash, start);
  case '.':
    if (cur != buffer.end() && llvm::isDigit(*cur))
      break; // ".5" is a number
    return make(TokenKind::dot, start);
  case '"':
    while (cur != buffer.end() && *cur != '"' && *cur != '\n')
      ++cur;
    if (cur == buffer.end() || *cur != '"')
      return make(TokenKind::error, start);
    ++cur;
    return make(TokenKind::string, start);
  default:
    break;
  }
  if (llvm::isAlpha(c) || c == '_') {
    // A dotted path such as h.0.attn.c_attn.weight is one token, so that
    // its numeric parts do not read as numbers.
    auto isNameChar = [](char ch) { return llvm::isAlnum(ch) || ch == '_'; };
    while (cur != buffer.end()) {
      if (isNameChar(*cur))
        ++cur;
      else if (*cur == '.' && cur + 1 != buffer.end() && isNameChar(cur[1]))
        ++cur;
      else
        break;
    }
    return make(TokenKind::identifier, start);
  }
  if (llvm::isDigit(c) || c == '.') {
    bool real = c == '.';
    while (cur != buffer.end() && llvm::isDigit(*cur))
      ++cur;
    if (cur != buffer.end() && *cur == '.') {
      real = true;
      ++cur;
      while (cur != buffer.end() && llvm::isDigit(*cur))
        ++cur;
    }
    if (cur != buffer.end() && (*cur == 'e' || *cur == 'E')) {
      const char *exponent = cur++;
      if (cur != buffer.end() && (*cur == '+' || *cur == '-'))
        ++cur;
      if (cur == buffer.end() || !llvm::isDigit(*cur)) {
        cur = exponent; // not an exponent after all: "2e" is 2 then e
      } else {
        real = true;
        while (cur != buffer.end() && llvm::isDigit(*cur))
          ++cur;
      }
    }
    return make(real ? TokenKind::real : TokenKind::integer, start);
  }
  // Consume a whole UTF-8 sequence so the caret points at one character.
  while (cur != buffer.end() && (static_cast<unsigned char>(*cur) & 0xC0) == 0x80)
    ++cur;
  return make(TokenKind::error, start);
}

std::string loomc::frontend::describeToken(const Token &token) {
  switch (token.kind) {
  case TokenKind::eof:
    return "end of file";
  case TokenKind::newline:
    return "end of line";
  case TokenKind::identifier:
    return "name '" + token.text.str() + "'";
  case TokenKind::integer:
  case TokenKind::real:
    return "number " + token.text.str();
  case TokenKind::string:
    return "string " + token.text.str();
  default:
    return "'" + token.text.str() + "'";
  }
}
