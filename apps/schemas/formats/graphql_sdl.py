"""GraphQL SDL: built and validated by graphql-core; stored as graphql-core prints it; compatibility by
graphql-core's ``find_breaking_changes`` (the reader must serve every client of the writer: removed types and
fields, changed field types, new required arguments, removed enum values, union members, ...).

References are further SDL documents (shared types), joined before the schema is built.
"""

from __future__ import annotations

from graphql import GraphQLError, build_schema, print_schema
from graphql.utilities import find_breaking_changes, lexicographic_sort_schema

from .base import Incompatibility, InvalidSchema, Parsed, ResolvedReference

SCALARS = {"Int", "Float", "String", "Boolean", "ID"}


class GraphQLFormat:
    schema_type = "GRAPHQL"

    def parse(self, text: str, references: list[ResolvedReference]) -> Parsed:
        for ref in references:
            if ref.parsed.schema_type != "GRAPHQL":
                raise InvalidSchema(
                    f"Reference {ref.name!r} is a {ref.parsed.schema_type} schema, not GraphQL SDL."
                )
        source = "\n".join([*(ref.parsed.text for ref in references), text])
        try:
            schema = build_schema(source)
        except GraphQLError as exc:
            where = f" at line {exc.locations[0].line}:{exc.locations[0].column}" if exc.locations else ""
            raise InvalidSchema(f"Invalid schema{where}: {exc.message}") from None
        except (TypeError, ValueError) as exc:
            raise InvalidSchema(f"Invalid schema: {exc}") from None
        return Parsed(
            "GRAPHQL",
            print_schema(schema) + "\n",
            print_schema(lexicographic_sort_schema(schema)) + "\n",
            schema,
            tuple(references),
        )

    def incompatibilities(
        self, *, reader: Parsed, writer: Parsed, new_is_reader: bool
    ) -> list[Incompatibility]:
        new, old = ("new", "old") if new_is_reader else ("old", "new")
        return [
            Incompatibility(
                change.type.name,
                "#",
                f"{change.description} (the {new} schema against the {old} schema)",
                change.type.name,
            )
            for change in find_breaking_changes(writer.tree, reader.tree)
            if not _builtin_removed(change)
        ]


def _builtin_removed(change) -> bool:
    """A standard scalar no field uses any more is left out of the built schema: no client is broken."""
    words = change.description.replace("Standard scalar ", "", 1).split(" ", 1)
    return change.type.name == "TYPE_REMOVED" and words[0] in SCALARS


GRAPHQL = GraphQLFormat()
