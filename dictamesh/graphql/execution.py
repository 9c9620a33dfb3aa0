"""The execution context that makes DataLoaders batch in a synchronous (Django) GraphQL server.

graphql-sync-dataloaders' DeferredExecutionContext calls ``handle_field_error(error, return_type)``;
graphql-core 3.2.14 added a required ``path`` argument (errors are collected per path so that an
error under an already-nulled parent is not reported twice). This subclass accepts both: with no
path the error is always collected, which is what graphql-core did before the change.

**Plain fields are read, not executed.** Most fields of an answer are a scalar (or a list of scalars) that
graphene's default resolver reads off the parent (a dict key or an attribute), with no arguments. For
them graphql-core still builds a resolve info, reads the arguments, runs the field middleware and
completes the value: about three quarters of the execution time of a 100-entity list. Such a field is
read and serialized directly when its value is there (``_plain``); anything else — a null, a value the
scalar refuses, a field with arguments or a resolver of its own — takes graphql-core's path, so its
errors are graphql-core's. Field middleware is skipped only for those plain fields, and only while every
middleware of the request is one that leaves them alone (``PLAIN_SAFE_MIDDLEWARE``).
"""

from __future__ import annotations

import functools

from graphene.types.resolver import dict_or_attr_resolver
from graphql import GraphQLList, GraphQLNonNull, is_leaf_type
from graphql.execution.execute import get_field_def
from graphql.pyutils import Undefined
from graphql_sync_dataloaders import DeferredExecutionContext

from .limits import NullArgumentsMiddleware

# middleware that never changes a field without arguments: the plain fields may skip it
PLAIN_SAFE_MIDDLEWARE = (NullArgumentsMiddleware,)
_NOT_PLAIN = (None, None, None, False)


_PLAIN: dict[int, tuple] = {}  # id(field) -> (field, what _plain found): fields are not hashable


def _plain(field_def) -> tuple:
    """(attribute name, default, leaf type, is a list) of a field graphene's default resolver reads and
    that returns a scalar or enum, or a list of them; ``_NOT_PLAIN`` otherwise. Found once per field."""
    found = _PLAIN.get(id(field_def))
    if found is not None and found[0] is field_def:
        return found[1]
    if len(_PLAIN) > 50_000:  # schemas made again and again (adapters changing): start over
        _PLAIN.clear()
    _PLAIN[id(field_def)] = (field_def, plain := _plain_of(field_def))
    return plain


def _plain_of(field_def) -> tuple:
    resolve = field_def.resolve
    if (
        field_def.args
        or not isinstance(resolve, functools.partial)
        or resolve.func is not dict_or_attr_resolver
    ):
        return _NOT_PLAIN
    if len(resolve.args) != 2 or resolve.keywords:
        return _NOT_PLAIN
    name, default = resolve.args
    kind = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
    if isinstance(kind, GraphQLList):
        item = kind.of_type.of_type if isinstance(kind.of_type, GraphQLNonNull) else kind.of_type
        return (name, default, item, True) if is_leaf_type(item) else _NOT_PLAIN
    return (name, default, kind, False) if is_leaf_type(kind) else _NOT_PLAIN


class DataLoaderExecutionContext(DeferredExecutionContext):
    def handle_field_error(self, error, return_type, path=None):  # type: ignore[override]
        return super().handle_field_error(error, return_type, path)

    def execute_field(self, parent_type, source, field_nodes, path):
        field_def = get_field_def(self.schema, parent_type, field_nodes[0])
        if field_def is not None and not field_nodes[0].arguments and self._plain_allowed():
            name, default, leaf, is_list = _plain(field_def)
            if leaf is not None:
                value = (
                    source.get(name, default) if isinstance(source, dict) else getattr(source, name, default)
                )
                served = _serialized(leaf, value, is_list)
                if served is not Undefined:
                    return served
        return super().execute_field(parent_type, source, field_nodes, path)

    def _plain_allowed(self) -> bool:
        allowed = self.__dict__.get("_plain_ok")
        if allowed is None:
            manager = self.middleware_manager
            middlewares = manager.middlewares if manager is not None else ()
            allowed = all(isinstance(m, PLAIN_SAFE_MIDDLEWARE) for m in middlewares)
            self._plain_ok = allowed
        return allowed


def _serialized(leaf, value, is_list: bool):
    """The serialized value, or Undefined when graphql-core must decide (a null, a refused value)."""
    if value is None or value is Undefined:
        return Undefined
    try:
        if not is_list:
            out = leaf.serialize(value)
            return Undefined if out is None else out
        if not isinstance(value, list | tuple):
            return Undefined
        out = [leaf.serialize(item) for item in value] if value else []
    except Exception:  # noqa: BLE001 - graphql-core's path reports it, located at the field
        return Undefined
    return Undefined if any(item is None or item is Undefined for item in out) else out
