"""Validation rules that bound a GraphQL document: selection depth and number of aliases.

Written here rather than taken from graphene.validation.depth_limit_validator because that one raises
KeyError on a spread of an unknown fragment (a 500 instead of a validation error) and recurses without
end on fragment cycles. Introspection fields (``__schema``, ``__type``) are not counted, so GraphiQL works.
"""

from __future__ import annotations

from graphql import GraphQLError, ValidationRule
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


def _depth(selection_set: SelectionSetNode | None, fragments: dict, seen: frozenset[str]) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            depth = 1 + _depth(selection.selection_set, fragments, seen) if selection.selection_set else 1
        elif isinstance(selection, InlineFragmentNode):
            depth = _depth(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:  # unknown fragments and cycles are other rules' errors
                continue
            depth = _depth(fragment.selection_set, fragments, seen | {name})
        else:  # pragma: no cover - the grammar has no other selections
            continue
        deepest = max(deepest, depth)
    return deepest


def max_depth_rule(max_depth: int) -> type[ValidationRule]:
    class MaxDepthRule(ValidationRule):
        def enter_document(self, node, *_args):
            fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
            for definition in node.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    depth = _depth(definition.selection_set, fragments, frozenset())
                    if depth > max_depth:
                        name = definition.name.value if definition.name else "anonymous"
                        self.report_error(
                            GraphQLError(
                                f"Operation '{name}' is {depth} levels deep; the limit is {max_depth}.",
                                definition,
                                extensions={"code": "query_too_deep"},
                            )
                        )

    return MaxDepthRule


def max_aliases_rule(max_aliases: int) -> type[ValidationRule]:
    class MaxAliasesRule(ValidationRule):
        def __init__(self, context):
            super().__init__(context)
            self.count = 0
            self.reported = False

        def enter_field(self, node: FieldNode, *_args):
            if node.alias is not None:
                self.count += 1
                if self.count > max_aliases and not self.reported:
                    self.reported = True
                    self.report_error(
                        GraphQLError(
                            f"The document uses more than {max_aliases} aliases.",
                            node,
                            extensions={"code": "too_many_aliases"},
                        )
                    )

    return MaxAliasesRule


# -- cost ----------------------------------------------------------------------------------------------------
SIZE_ARGUMENTS = ("first", "last", "limit", "k")
LIST_ARGUMENTS = ("representations",)  # Apollo Federation's _entities: one item per representation


def _list_length(value, variables: dict) -> int | None:
    from graphql.language import ListValueNode, VariableNode

    if isinstance(value, ListValueNode):
        return len(value.values)
    if isinstance(value, VariableNode):
        found = variables.get(value.name.value)
        if isinstance(found, list):
            return len(found)
    return None


def representations(document, operation_name: str | None, variables: dict | None) -> int:
    """How many federation representations an operation hands ``_entities`` (over all its uses)."""
    from graphql.language import Visitor, visit
    from graphql.utilities import get_operation_ast

    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    counted = [0]
    variables = variables or {}

    class Count(Visitor):
        def enter_field(self, node, *_args):
            if node.name.value == "_entities":
                for argument in node.arguments or ():
                    if argument.name.value in LIST_ARGUMENTS:
                        counted[0] += _list_length(argument.value, variables) or 0

    for definition in document.definitions:  # the operation and the fragments it may spread
        if definition is operation or isinstance(definition, FragmentDefinitionNode):
            visit(definition, Count())
    return counted[0]


def _size(node: FieldNode, field_def, variables: dict) -> int | None:
    """The number of items a field asks for (its first/limit/k argument, literal or variable, or the length
    of its representations), if it has one."""
    from graphql.language import IntValueNode, VariableNode

    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    for name in LIST_ARGUMENTS:
        if name in field_def.args and name in given:
            length = _list_length(given[name], variables)
            if length is not None:
                return length
    for name in SIZE_ARGUMENTS:
        if name not in field_def.args:
            continue
        value = given.get(name)
        if isinstance(value, IntValueNode):
            return max(0, int(value.value))
        if isinstance(value, VariableNode):
            found = variables.get(value.name.value)
            if isinstance(found, int) and not isinstance(found, bool):
                return max(0, found)
        default = field_def.args[name].default_value
        if isinstance(default, int) and not isinstance(default, bool):
            return max(0, default)
    return None


def query_cost(schema, document, operation_name: str | None, variables: dict | None, *, costs: dict[str, int],
               default_list: int) -> int:  # fmt: skip
    """What an operation would cost: each field its cost (``costs["Type.field"]``, else 1), plus its
    selection's cost times the items it asks for (``first``/``limit``/``k``; a list without such an argument
    counts ``default_list`` items, unless its parent field already said how many)."""
    from graphql import get_named_type, get_nullable_type, is_list_type
    from graphql.utilities import get_operation_ast

    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)
    variables = variables or {}

    def cost(selection_set, parent, sized: bool, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                fields = getattr(parent, "fields", {})
                if name.startswith("__") or name not in fields:
                    continue
                field_def = fields[name]
                own = costs.get(f"{parent.name}.{name}", 1)
                size = _size(selection, field_def, variables)
                is_list = is_list_type(get_nullable_type(field_def.type))
                if size is None:
                    size = (1 if sized else default_list) if is_list else 1
                child = cost(selection.selection_set, get_named_type(field_def.type), size != 1 and not is_list,
                             seen) if selection.selection_set else 0  # fmt: skip
                total += own + size * child
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                total += cost(selection.selection_set, target or parent, sized, seen)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None or fragment.name.value in seen:
                    continue
                target = schema.get_type(fragment.type_condition.name.value) or parent
                total += cost(fragment.selection_set, target, sized, seen | {fragment.name.value})
        return total

    return cost(operation.selection_set, root, False, frozenset())


class NullArgumentsMiddleware:
    """GraphQL lets a client send ``null`` for any optional argument (``createDomain(description: null)``);
    graphene hands None to the resolver, which passes it where the API means "not given" (a 500 at the
    database). For the operation's root fields — where services are called — a null argument means "not
    given": its declared default when it has one, else left out (as when omitted). Other fields pass through
    at the cost of one call."""

    def resolve(self, next_, root, info, **args):
        if args and info.path.prev is None and None in args.values():
            args = _nulls_as_omitted(info, args)
        return next_(root, info, **args)


def _nulls_as_omitted(info, args: dict) -> dict:
    from graphql import Undefined

    field = info.parent_type.fields.get(info.field_name)
    defaults = {}
    for name, argument in (field.args if field is not None else {}).items():
        defaults[argument.out_name or name] = argument.default_value
    out = {}
    for key, value in args.items():
        if value is not None:
            out[key] = value
        elif defaults.get(key, Undefined) is not Undefined:
            out[key] = defaults[key]
    return out
