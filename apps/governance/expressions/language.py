"""The condition language's syntax: tokens, the parser, and the checks a policy passes when it is saved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dictamesh.errors import ValidationError

from .functions import FUNCTIONS

MAX_LENGTH = 4000
MAX_DEPTH = 32


class ExpressionError(ValidationError):
    code = "invalid_condition"

    def __init__(self, message: str, position: int | None = None):
        where = f" (at character {position + 1})" if position is not None else ""
        super().__init__(f"{message}{where}.", fields={"condition": f"{message}{where}"})
        self.position = position


# ---------------------------------------------------------------------------------------------- lexer
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<int>\d+)
    | (?P<op>&&|\|\||==|!=|!|\(|\)|\[|\]|,|\.)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_WORDS = {"and": "&&", "or": "||", "not": "!"}


@dataclass(frozen=True)
class Token:
    kind: str  # string, int, op, name, end
    value: Any
    pos: int


def _unescape(raw: str, pos: int) -> str:
    out, i = [], 1
    while i < len(raw) - 1:
        ch = raw[i]
        if ch == "\\":
            nxt = raw[i + 1]
            if nxt not in "'\"\\":
                raise ExpressionError(f"Unknown escape \\{nxt}", pos + i)
            out.append(nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExpressionError(f"Unexpected character {text[start]!r}", start)
        start = match.start(match.lastgroup)
        value = match.group(match.lastgroup)
        if match.lastgroup == "string":
            tokens.append(Token("string", _unescape(value, start), start))
        elif match.lastgroup == "int":
            tokens.append(Token("int", int(value), start))
        elif match.lastgroup == "name" and value in _WORDS:
            tokens.append(Token("op", _WORDS[value], start))
        elif match.lastgroup == "name" and value == "in":
            tokens.append(Token("op", "in", start))
        else:
            tokens.append(Token(match.lastgroup, value, start))
        pos = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


# ---------------------------------------------------------------------------------------------- AST
# ("lit", value) ("list", (values...)) ("attr", "resource"|"actor", name) ("call", name, (args...))
# ("not", node) ("and", a, b) ("or", a, b) ("cmp", op, a, b)   op: == != in notin

RESOURCE_ATTRIBUTES = {
    "kind": str,
    "urn": str,
    "type": str,
    "domain": str,
    "source": str,
    "classification": str,
    "tags": list,
    "owners": list,
    "field": str,
    "pii": list,
    "subject": str,
}
ACTOR_ATTRIBUTES = {"username": str, "groups": list, "roles": list, "authenticated": bool}


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self, kind: str, value: Any = None) -> Token:
        tok = self.tok
        if tok.kind != kind or (value is not None and tok.value != value):
            want = repr(value) if value is not None else kind
            got = "the end" if tok.kind == "end" else repr(tok.value)
            raise ExpressionError(f"Expected {want}, found {got}", tok.pos)
        self.i += 1
        return tok

    def at(self, kind: str, value: Any = None) -> bool:
        return self.tok.kind == kind and (value is None or self.tok.value == value)

    def parse(self):
        node = self.expr()
        if not self.at("end"):
            raise ExpressionError(f"Unexpected {self.tok.value!r}", self.tok.pos)
        return node

    def expr(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("The condition is nested too deeply", self.tok.pos)
        node = self.conj()
        while self.at("op", "||"):
            self.i += 1
            node = ("or", node, self.conj())
        self.depth -= 1
        return node

    def conj(self):
        node = self.unary()
        while self.at("op", "&&"):
            self.i += 1
            node = ("and", node, self.unary())
        return node

    def unary(self):
        if self.at("op", "!"):
            pos = self.tok.pos
            self.i += 1
            if self.at("op", "in"):
                raise ExpressionError("'not in' needs a value on its left", pos)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError("The condition is nested too deeply", pos)
            node = ("not", self.unary())
            self.depth -= 1
            return node
        return self.compare()

    def compare(self):
        left = self.primary()
        if self.at("op", "==") or self.at("op", "!="):
            op = self.take("op").value
            return ("cmp", op, left, self.primary())
        if self.at("op", "in"):
            self.i += 1
            return ("cmp", "in", left, self.primary())
        if (
            self.at("op", "!")
            and self.tokens[self.i + 1].kind == "op"
            and self.tokens[self.i + 1].value == "in"
        ):
            self.i += 2
            return ("cmp", "notin", left, self.primary())
        return left

    def literal(self):
        tok = self.tok
        if tok.kind in ("string", "int"):
            self.i += 1
            return tok.value
        if tok.kind == "name" and tok.value in ("true", "false"):
            self.i += 1
            return tok.value == "true"
        raise ExpressionError("Expected a string, a number, true or false", tok.pos)

    def primary(self):
        tok = self.tok
        if tok.kind in ("string", "int") or (tok.kind == "name" and tok.value in ("true", "false")):
            return ("lit", self.literal())
        if self.at("op", "["):
            self.i += 1
            values = []
            while not self.at("op", "]"):
                values.append(self.literal())
                if not self.at("op", "]"):
                    self.take("op", ",")
            self.take("op", "]")
            return ("list", tuple(values))
        if self.at("op", "("):
            self.i += 1
            node = self.expr()
            self.take("op", ")")
            return node
        if tok.kind == "name":
            self.i += 1
            if tok.value in ("resource", "actor") and self.at("op", "."):
                self.i += 1
                name = self.take("name")
                known = RESOURCE_ATTRIBUTES if tok.value == "resource" else ACTOR_ATTRIBUTES
                if name.value not in known:
                    raise ExpressionError(
                        f"{tok.value} has no attribute {name.value!r} (known: {', '.join(sorted(known))})",
                        name.pos,
                    )
                return ("attr", tok.value, name.value)
            if self.at("op", "("):
                self.i += 1
                args = []
                while not self.at("op", ")"):
                    args.append((self.tok.pos, self.literal()))
                    if not self.at("op", ")"):
                        self.take("op", ",")
                self.take("op", ")")
                return _check_call(tok, args)
            raise ExpressionError(
                f"Unknown name {tok.value!r}: use resource.<attribute>, actor.<attribute> or a function",
                tok.pos,
            )
        got = "the end" if tok.kind == "end" else repr(tok.value)
        raise ExpressionError(f"Expected a value, found {got}", tok.pos)


def _check_call(tok: Token, args: list[tuple[int, Any]]):
    spec = FUNCTIONS.get(tok.value)
    if spec is None:
        raise ExpressionError(
            f"Unknown function {tok.value}() (known: {', '.join(sorted(FUNCTIONS))})", tok.pos
        )
    n = len(args)
    if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
        if spec.max_args == spec.min_args:
            want = f"exactly {spec.min_args}"
        elif spec.max_args is None:
            want = f"at least {spec.min_args}"
        else:
            want = f"{spec.min_args} to {spec.max_args}"
        raise ExpressionError(f"{tok.value}() takes {want} argument(s), not {n}", tok.pos)
    values = [a for _, a in args]
    if spec.check and values:
        problem = spec.check(values)
        if problem:
            raise ExpressionError(f"{tok.value}(): {problem}", tok.pos)
    return ("call", tok.value, tuple(values))


def parse(text: str):
    """The syntax tree of a condition; "" is always true. Raises ExpressionError with a position."""
    if not isinstance(text, str):
        raise ExpressionError("A condition is a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"A condition has at most {MAX_LENGTH} characters")
    if not text.strip():
        return ("lit", True)
    tree = _Parser(text).parse()
    _require_condition(tree, text)
    return tree


def _require_condition(node, text: str) -> None:
    """Operands of and/or/not, and the whole condition, are true or false: calls, comparisons, booleans."""
    kind = node[0]
    if kind in ("and", "or"):
        _require_condition(node[1], text)
        _require_condition(node[2], text)
    elif kind == "not":
        _require_condition(node[1], text)
    elif not (
        kind in ("call", "cmp")
        or (kind == "lit" and isinstance(node[1], bool))
        or (kind == "attr" and node[1:] == ("actor", "authenticated"))
    ):
        shown = f"{node[1]}.{node[2]}" if kind == "attr" else repr(node[1])
        raise ExpressionError(f"{shown} is not a condition: compare it, as in resource.domain == 'finance'")
