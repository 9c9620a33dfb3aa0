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
