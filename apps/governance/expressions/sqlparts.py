"""SQL fragments over an entity row: the pieces both the function table and the compiler build with."""

from __future__ import annotations

from dataclasses import dataclass


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
