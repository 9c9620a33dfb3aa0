"""Policy conditions: a small, safe expression language, parsed here and never handed to ``eval``.

    isOwner() || (hasDomain('finance') && matchAnyTag('PII.*') && !inGroup('contractors'))
    resource.type in ['customer', 'account'] and actor.username != 'bot'

Grammar (``and``/``or``/``not`` may be spelled ``&&``/``||``/``!``)::

    expr    := and ('||' and)*
    and     := unary ('&&' unary)*
    unary   := '!' unary | compare
    compare := primary (('==' | '!=' | 'in' | 'not in') primary)?
    primary := string | integer | true | false | '[' literals ']' | name '(' literals ')'
             | ('resource' | 'actor') '.' name | '(' expr ')'

Function arguments are literals, and every name is checked when a policy is saved, so a policy either
compiles or is refused with the position of its first error. A condition compiles twice: to a Python
closure (one decision) and to SQL over the catalog's entity rows (which entities a caller may list or
find, so pages, totals and facet counts never count what the caller cannot see). Both follow one table of
functions, and a test holds them to the same answers.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from dictamesh.errors import ValidationError

from .contracts import CLASSIFICATIONS, Actor, Resource, rank

MAX_LENGTH = 4000
MAX_DEPTH = 32
PII_CATEGORIES = (
    "email",
    "phone",
    "person_name",
    "postal_address",
    "date_of_birth",
    "national_id",
    "credit_card",
    "iban",
    "ip_address",
    "passport",
    "tax_id",
    "bank_account",
    "gender",
    "ethnicity",
    "health",
    "geolocation",
    "username",
    "password",
    "device_id",
)


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


# ---------------------------------------------------------------------------------------------- functions
@dataclass(frozen=True)
class Function:
    min_args: int
    max_args: int | None
    doc: str
    check: Callable[[list[Any]], str | None] | None = None


def _strings(args):
    return None if all(isinstance(a, str) and a for a in args) else "arguments must be non-empty strings"


def _levels(args):
    bad = [a for a in args if a not in CLASSIFICATIONS]
    return f"unknown classification {bad[0]!r} (known: {', '.join(CLASSIFICATIONS)})" if bad else None


def _categories(args):
    bad = [a for a in args if a not in PII_CATEGORIES]
    return f"unknown PII category {bad[0]!r} (known: {', '.join(PII_CATEGORIES)})" if bad else None


FUNCTIONS: dict[str, Function] = {
    "isOwner": Function(0, 0, "the actor (or one of its groups or roles) owns the resource"),
    "matchAnyTag": Function(1, None, "a tag of the resource matches one of the patterns (* and ?)", _strings),
    "matchAllTags": Function(1, None, "every pattern matches a tag of the resource", _strings),
    "hasDomain": Function(1, None, "the resource is in one of these domains", _strings),
    "hasSource": Function(1, None, "the resource comes from one of these source systems", _strings),
    "hasType": Function(1, None, "the resource's entity type is one of these", _strings),
    "matchUrn": Function(1, None, "the resource's URN matches one of the patterns", _strings),
    "hasClassification": Function(1, None, "the resource is classified as one of these levels", _levels),
    "classificationAtLeast": Function(1, 1, "the resource is classified at this level or above", _levels),
    "hasPii": Function(0, None, "the resource holds PII (of one of these categories, if named)", _categories),
    "matchField": Function(1, None, "the resource is a field whose path matches a pattern", _strings),
    "matchSubject": Function(1, None, "the resource is a schema subject matching a pattern", _strings),
    "inGroup": Function(1, None, "the actor is in one of these Django groups", _strings),
    "hasRole": Function(1, None, "the actor holds one of these roles", _strings),
    "isUser": Function(1, None, "the actor is one of these users", _strings),
    "isAuthenticated": Function(0, 0, "the actor is authenticated (not anonymous)"),
}


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


# ---------------------------------------------------------------------------------------------- Python


def _attr(actor: Actor, resource: Resource, owner: str, name: str):
    if owner == "actor":
        if name == "groups":
            return sorted(actor.groups)
        if name == "roles":
            return sorted(actor.roles)
        return getattr(actor, name)
    value = getattr(resource, name)
    return list(value) if isinstance(value, tuple) else value


def _call(name: str, args: tuple, actor: Actor, r: Resource) -> bool:
    if name == "isOwner":
        return bool(actor.principals & set(r.owners))
    if name == "matchAnyTag":
        return any(fnmatchcase(t, p) for t in r.tags for p in args)
    if name == "matchAllTags":
        return all(any(fnmatchcase(t, p) for t in r.tags) for p in args)
    if name == "hasDomain":
        return r.domain in args
    if name == "hasSource":
        return r.source in args
    if name == "hasType":
        return r.type in args
    if name == "matchUrn":
        return bool(r.urn) and any(fnmatchcase(r.urn, p) for p in args)
    if name == "hasClassification":
        return r.classification in args
    if name == "classificationAtLeast":
        return rank(r.classification) >= rank(args[0])
    if name == "hasPii":
        return bool(set(r.pii) & set(args)) if args else bool(r.pii)
    if name == "matchField":
        return r.kind == "field" and any(fnmatchcase(r.field, p) for p in args)
    if name == "matchSubject":
        return bool(r.subject) and any(fnmatchcase(r.subject, p) for p in args)
    if name == "inGroup":
        return bool(actor.groups & set(args))
    if name == "hasRole":
        return bool(actor.roles & set(args))
    if name == "isUser":
        return actor.username in args
    if name == "isAuthenticated":
        return actor.authenticated
    raise AssertionError(name)  # parse() admits only FUNCTIONS


def _value(node, actor: Actor, resource: Resource):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "list":
        return list(node[1])
    if kind == "attr":
        return _attr(actor, resource, node[1], node[2])
    if kind == "call":
        return _call(node[1], node[2], actor, resource)
    if kind == "not":
        return not _truth(node[1], actor, resource)
    if kind == "and":
        return _truth(node[1], actor, resource) and _truth(node[2], actor, resource)
    if kind == "or":
        return _truth(node[1], actor, resource) or _truth(node[2], actor, resource)
    op, left, right = node[1], _value(node[2], actor, resource), _value(node[3], actor, resource)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    found = isinstance(right, list) and left in right
    return found if op == "in" else not found


def _truth(node, actor: Actor, resource: Resource) -> bool:
    return bool(_value(node, actor, resource))


def evaluate(tree, *, actor: Actor, resource: Resource) -> bool:
    return _truth(tree, actor, resource)


# ---------------------------------------------------------------------------------------------- SQL
@dataclass(frozen=True)
class Sql:
    """A SQL fragment over an entity row (``{e}`` stands for its alias; a boolean unless ``array``) and its
    parameters. ``over(alias)`` gives the text for a query; user input is only ever in ``params``."""

    text: str
    params: tuple = ()
    array: bool = False

    def over(self, alias: str) -> str:
        return self.text.replace("{e}", alias)


TRUE, FALSE = Sql("TRUE"), Sql("FALSE")
_DOMAIN = "(SELECT d.name FROM dictamesh_catalog_domain d WHERE d.id = {e}.domain_id)"
_SOURCE = "(SELECT s.name FROM dictamesh_catalog_source s WHERE s.id = {e}.source_id)"
_OWNERS = "ARRAY(SELECT o.principal FROM dictamesh_catalog_owner o WHERE o.entity_id = {e}.id)"
_ENTITY_COLUMNS = {
    "urn": Sql("{e}.urn"),
    "type": Sql("{e}.entity_type"),
    "classification": Sql("{e}.classification"),
    "subject": Sql("{e}.schema_subject"),
    "domain": Sql(_DOMAIN),
    "source": Sql(_SOURCE),
    "tags": Sql("{e}.tags", array=True),
    "owners": Sql(_OWNERS, array=True),
    "pii": Sql("{e}.pii_categories", array=True),
}


def like_pattern(glob: str) -> str:
    """A glob (* and ?) as a LIKE pattern with ``\\`` escaping LIKE's own wildcards."""
    out = []
    for ch in glob:
        if ch in "%_\\":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def _const(value) -> Sql:
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, list | tuple):
        return Sql("%s", (list(value),), array=True)
    return Sql("%s", (value,))


def _sql_call(name: str, args: tuple, actor: Actor) -> Sql | bool:
    if name in ("inGroup", "hasRole", "isUser", "isAuthenticated", "matchField"):
        return _call(name, args, actor, Resource(kind="entity"))  # decided by the actor alone
    if name == "isOwner":
        if not actor.principals:
            return False
        return Sql(
            "EXISTS (SELECT 1 FROM dictamesh_catalog_owner o WHERE o.entity_id = {e}.id"
            " AND o.principal = ANY(%s))",
            (sorted(actor.principals),),
        )
    if name in ("matchAnyTag", "matchAllTags"):
        parts = [
            Sql("EXISTS (SELECT 1 FROM unnest({e}.tags) t WHERE t LIKE %s)", (like_pattern(p),)) for p in args
        ]
        if name == "matchAnyTag":
            return Sql(
                "EXISTS (SELECT 1 FROM unnest({e}.tags) t WHERE t LIKE ANY(%s))",
                ([like_pattern(p) for p in args],),
            )
        return join("AND", parts)
    if name == "hasDomain":
        return Sql(
            "{e}.domain_id IN (SELECT d.id FROM dictamesh_catalog_domain d WHERE d.name = ANY(%s))",
            (list(args),),
        )
    if name == "hasSource":
        return Sql(
            "{e}.source_id IN (SELECT s.id FROM dictamesh_catalog_source s WHERE s.name = ANY(%s))",
            (list(args),),
        )
    if name == "hasType":
        return Sql("{e}.entity_type = ANY(%s)", (list(args),))
    if name == "matchUrn":
        return Sql("{e}.urn LIKE ANY(%s)", ([like_pattern(p) for p in args],))
    if name == "hasClassification":
        return Sql("{e}.classification = ANY(%s)", (list(args),))
    if name == "classificationAtLeast":
        levels = [c for c in CLASSIFICATIONS if rank(c) >= rank(args[0])]
        if rank(args[0]) <= 1:  # an unknown level ranks as internal in Python: so here
            return Sql(
                "NOT ({e}.classification = ANY(%s))", ([c for c in CLASSIFICATIONS if c not in levels],)
            )
        return Sql("{e}.classification = ANY(%s)", (levels,))
    if name == "hasPii":
        if args:
            return Sql("{e}.pii_categories && %s::varchar[]", (list(args),))
        return Sql("cardinality({e}.pii_categories) > 0")
    if name == "matchSubject":
        return Sql(
            "({e}.schema_subject <> '' AND {e}.schema_subject LIKE ANY(%s))",
            ([like_pattern(p) for p in args],),
        )
    raise AssertionError(name)


def join(op: str, parts: list[Sql]) -> Sql:
    """``parts`` joined by AND or OR, constants folded (TRUE OR x is TRUE, FALSE AND x is FALSE)."""
    absorbing, neutral = (TRUE, FALSE) if op == "OR" else (FALSE, TRUE)
    if any(p is absorbing or p.text == absorbing.text for p in parts):
        return absorbing
    parts = [p for p in parts if p.text != neutral.text]
    if not parts:
        return neutral
    if len(parts) == 1:
        return parts[0]
    params: tuple = ()
    for p in parts:
        params += p.params
    return Sql("(" + f" {op} ".join(p.text for p in parts) + ")", params)


def _sql(node, actor: Actor):
    """A Python constant when ``node`` does not depend on the entity row, else Sql."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "list":
        return list(node[1])
    if kind == "attr":
        if node[1] == "actor":
            return _attr(actor, Resource(kind="entity"), "actor", node[2])
        if node[2] == "kind":
            return "entity"
        if node[2] == "field":
            return ""
        return _ENTITY_COLUMNS[node[2]]
    if kind == "call":
        return _sql_call(node[1], node[2], actor)
    if kind == "not":
        inner = _sql(node[1], actor)
        if not isinstance(inner, Sql):
            return not inner
        return Sql(f"NOT COALESCE({inner.text}, FALSE)", inner.params)
    if kind in ("and", "or"):
        left, right = _sql(node[1], actor), _sql(node[2], actor)
        for side, other in ((left, right), (right, left)):
            if not isinstance(side, Sql):
                if kind == "and":
                    return other if side else False
                return True if side else other
        return join(kind.upper(), [_boolean(left), _boolean(right)])
    op, left, right = node[1], _sql(node[2], actor), _sql(node[3], actor)
    if not isinstance(left, Sql) and not isinstance(right, Sql):
        return _value(("cmp", op, ("lit", left), ("lit", right)), actor, Resource(kind="entity"))
    lsql, rsql = _as_sql(left), _as_sql(right)
    if op in ("==", "!="):
        if lsql.array or rsql.array:
            text = f"({lsql.text}) {'=' if op == '==' else '<>'} ({rsql.text})"
            if lsql.array and rsql.array:
                return Sql(f"COALESCE({text}, FALSE)", lsql.params + rsql.params)
            return op == "!="  # a list never equals a single value (as in Python)
        sign = "IS NOT DISTINCT FROM" if op == "==" else "IS DISTINCT FROM"
        return Sql(f"({lsql.text} {sign} {rsql.text})", lsql.params + rsql.params)
    if not rsql.array or lsql.array:
        return op == "notin"  # `x in 'text'` and `list in list` are false, as in evaluate()
    found = Sql(f"COALESCE({lsql.text} = ANY({rsql.text}), FALSE)", lsql.params + rsql.params)
    return found if op == "in" else Sql(f"NOT {found.text}", found.params)


def _as_sql(value) -> Sql:
    return value if isinstance(value, Sql) else _const(value)


def _boolean(value) -> Sql:
    return _as_sql(value) if isinstance(value, Sql) else (TRUE if value else FALSE)


def to_sql(tree, *, actor: Actor) -> Sql:
    """The condition over entity rows (alias ``e``) for this actor: what ``evaluate`` answers, row by row."""
    result = _sql(tree, actor)
    if isinstance(result, Sql):
        return Sql(f"COALESCE({result.text}, FALSE)", result.params)
    return TRUE if result else FALSE


# ---------------------------------------------------------------------------------------------- closures
def _fn_call(name: str, args: tuple):
    """A closure for one function call: what _call does, with its arguments bound once."""
    wanted = frozenset(args)
    if name == "isOwner":
        return lambda a, r: bool(a.principals.intersection(r.owners))
    if name in ("matchAnyTag", "matchAllTags", "matchUrn", "matchField", "matchSubject"):
        patterns = [re.compile(fnmatch.translate(p)).match for p in args]
        if name == "matchAnyTag":
            return lambda a, r: any(m(t) for t in r.tags for m in patterns)
        if name == "matchAllTags":
            return lambda a, r: all(any(m(t) for t in r.tags) for m in patterns)
        if name == "matchUrn":
            return lambda a, r: bool(r.urn) and any(m(r.urn) for m in patterns)
        if name == "matchField":
            return lambda a, r: r.kind == "field" and any(m(r.field) for m in patterns)
        return lambda a, r: bool(r.subject) and any(m(r.subject) for m in patterns)
    if name == "classificationAtLeast":
        floor = rank(args[0])
        return lambda a, r: rank(r.classification) >= floor
    if name == "hasDomain":
        return lambda a, r: r.domain in wanted
    if name == "hasSource":
        return lambda a, r: r.source in wanted
    if name == "hasType":
        return lambda a, r: r.type in wanted
    if name == "hasClassification":
        return lambda a, r: r.classification in wanted
    if name == "hasPii":
        return (lambda a, r: not wanted.isdisjoint(r.pii)) if args else (lambda a, r: bool(r.pii))
    if name == "inGroup":
        return lambda a, r: not wanted.isdisjoint(a.groups)
    if name == "hasRole":
        return lambda a, r: not wanted.isdisjoint(a.roles)
    if name == "isUser":
        return lambda a, r: a.username in wanted
    if name == "isAuthenticated":
        return lambda a, r: a.authenticated
    return lambda a, r: _call(name, args, a, r)


def _closure(node):
    kind = node[0]
    if kind == "lit":
        value = node[1]
        return lambda a, r: value
    if kind == "list":
        values = list(node[1])
        return lambda a, r: values
    if kind == "attr":
        owner, name = node[1], node[2]
        if owner == "resource" and RESOURCE_ATTRIBUTES[name] is str:
            return lambda a, r: getattr(r, name)
        return lambda a, r: _attr(a, r, owner, name)
    if kind == "call":
        return _fn_call(node[1], node[2])
    if kind == "not":
        inner = _closure(node[1])
        return lambda a, r: not inner(a, r)
    if kind in ("and", "or"):
        left, right = _closure(node[1]), _closure(node[2])
        if kind == "and":
            return lambda a, r: bool(left(a, r)) and bool(right(a, r))
        return lambda a, r: bool(left(a, r)) or bool(right(a, r))
    op, left, right = node[1], _closure(node[2]), _closure(node[3])
    if op == "==":
        return lambda a, r: left(a, r) == right(a, r)
    if op == "!=":
        return lambda a, r: left(a, r) != right(a, r)

    def member(a, r):
        container = right(a, r)
        return isinstance(container, list) and left(a, r) in container

    return member if op == "in" else (lambda a, r: not member(a, r))


# ---------------------------------------------------------------------------------------------- reads
OWNS = "owns"  # not an attribute: whether the actor owns the resource (isOwner, the "owner" actor spec)
_CALL_READS: dict[str, frozenset[str]] = {
    "isOwner": frozenset({OWNS}),
    "matchAnyTag": frozenset({"tags"}),
    "matchAllTags": frozenset({"tags"}),
    "hasDomain": frozenset({"domain"}),
    "hasSource": frozenset({"source"}),
    "hasType": frozenset({"type"}),
    "matchUrn": frozenset({"urn"}),
    "hasClassification": frozenset({"classification"}),
    "classificationAtLeast": frozenset({"classification"}),
    "hasPii": frozenset({"pii"}),
    "matchField": frozenset({"kind", "field"}),
    "matchSubject": frozenset({"subject"}),
    "inGroup": frozenset(),
    "hasRole": frozenset(),
    "isUser": frozenset(),
    "isAuthenticated": frozenset(),
}


def resource_reads(tree) -> frozenset[str] | None:
    """The resource attributes a condition's value depends on (``OWNS`` for ownership), for a given actor;
    None when that cannot be told (then a decision depends on the whole resource)."""
    kind = tree[0]
    if kind in ("lit", "list"):
        return frozenset()
    if kind == "attr":
        return frozenset({tree[2]}) if tree[1] == "resource" else frozenset()
    if kind == "call":
        return _CALL_READS.get(tree[1])
    if kind == "not":
        return resource_reads(tree[1])
    if kind in ("and", "or"):
        parts = [resource_reads(tree[1]), resource_reads(tree[2])]
    elif kind == "cmp":
        parts = [resource_reads(tree[2]), resource_reads(tree[3])]
    else:
        return None
    return None if None in parts else frozenset().union(*parts)


def compile_python(tree) -> Callable[[Actor, Resource], bool]:
    """``evaluate`` as one closure per node, built once per policy: what a decision runs."""
    fn = _closure(tree)
    return lambda actor, resource: bool(fn(actor, resource))
