"""Avro: parsed by fastavro (names, defaults and references validated); compatibility by the Avro
specification's schema resolution rules, with the error types of Avro's own SchemaCompatibility (the ones
Confluent Schema Registry reports).

Resolution (reader vs writer): promotions int→long→float→double, int/long→float/double, string↔bytes;
records match by unqualified name or a reader alias, fields by name or a reader field alias, a reader field
absent from the writer needs a default, writer-only fields are skipped; enums need every writer symbol or
a reader default; fixed sizes must be equal; arrays and maps by their items and values; a writer union
needs every branch readable, a reader union needs one branch that reads the writer. Logical types are
read as their underlying type. Recursive named types are checked once per (reader, writer) pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastavro.schema import SchemaParseException, UnknownType, parse_schema

from .base import Incompatibility, InvalidSchema, Parsed, ResolvedReference, compact_json, load_json

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
PROMOTIONS = {  # writer type -> reader types that read it
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}
NAMED = {"record", "error", "enum", "fixed"}


@dataclass(frozen=True)
class AvroTree:
    root: Any
    names: dict[str, Any]  # full name -> parsed named type, including those of the references


def _names_of(references: list[ResolvedReference]) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for ref in references:
        if ref.parsed.schema_type != "AVRO":
            raise InvalidSchema(f"Reference {ref.name!r} is a {ref.parsed.schema_type} schema, not Avro.")
        names.update(ref.parsed.tree.names)
    return names


class AvroFormat:
    schema_type = "AVRO"

    def parse(self, text: str, references: list[ResolvedReference]) -> Parsed:
        raw = load_json(text)
        names = _names_of(references)
        try:
            root = parse_schema(raw, named_schemas=names, _write_hint=False, _force=True)
        except UnknownType as exc:
            raise InvalidSchema(
                f"Invalid schema: unknown type {exc.name!r} (a missing reference?)."
            ) from None
        except (SchemaParseException, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise InvalidSchema(f"Invalid schema: {exc}") from None
        compact = compact_json(raw)
        normalized = compact_json(root, sort_keys=True)
        return Parsed("AVRO", compact, normalized, AvroTree(root, names), tuple(references))

    def incompatibilities(
        self, *, reader: Parsed, writer: Parsed, new_is_reader: bool
    ) -> list[Incompatibility]:
        checker = _Checker(reader.tree.names, writer.tree.names, new_is_reader)
        checker.check(reader.tree.root, writer.tree.root, "")
        return checker.found


class _Checker:
    def __init__(self, reader_names: dict, writer_names: dict, new_is_reader: bool):
        self.reader_names = reader_names
        self.writer_names = writer_names
        self.reader_label, self.writer_label = ("new", "old") if new_is_reader else ("old", "new")
        self.found: list[Incompatibility] = []
        self.visiting: set[tuple[str, str]] = set()

    # -- helpers ----------------------------------------------------------------------------------------
    @staticmethod
    def _resolve(node: Any, names: dict) -> Any:
        if isinstance(node, str):
            return node if node in PRIMITIVES else names[node]
        if isinstance(node, dict) and node.get("type") in PRIMITIVES:
            return node["type"]  # a logical type reads as its underlying type
        return node

    @staticmethod
    def _kind(node: Any) -> str:
        if isinstance(node, list):
            return "union"
        if isinstance(node, str):
            return node
        kind = node["type"]
        return "record" if kind == "error" else kind

    @staticmethod
    def _describe(node: Any) -> str:
        if isinstance(node, list):
            return "union"
        if isinstance(node, str):
            return node
        return node.get("name") or node["type"]

    def _add(self, error_type: str, path: str, description: str, info: str = "") -> None:
        self.found.append(Incompatibility(error_type, path or "/", description, info))

    # -- the rules ----------------------------------------------------------------------------------------
    def check(self, reader: Any, writer: Any, path: str) -> None:
        reader = self._resolve(reader, self.reader_names)
        writer = self._resolve(writer, self.writer_names)
        rk, wk = self._kind(reader), self._kind(writer)
        if wk == "union":
            for i, branch in enumerate(writer):
                self.check(reader, branch, f"{path}/{i}" if rk != "union" else path)
            return
        if rk == "union":
            for branch in reader:
                trial = _Checker(self.reader_names, self.writer_names, self.reader_label == "new")
                trial.visiting = set(self.visiting)
                trial.check(branch, writer, path)
                if not trial.found:
                    return
            self._add(
                "MISSING_UNION_BRANCH",
                path,
                f"The {self.reader_label} schema's union at path '{path or '/'}' has no branch for the "
                f"{self.writer_label} schema's type '{self._describe(writer)}'",
                f"reader union lacking writer type: {self._describe(writer).upper()}",
            )
            return
        if rk != wk:
            if rk in PROMOTIONS.get(wk, ()):
                return
            self._add(
                "TYPE_MISMATCH",
                path,
                f"The type (path '{path or '/'}') of a field in the {self.reader_label} schema does not match "
                f"with the {self.writer_label} schema",
                f"reader type: {rk.upper()} not compatible with writer type: {wk.upper()}",
            )
            return
        if rk in PRIMITIVES:
            return
        if rk in ("record", "enum", "fixed") and not self._names_match(reader, writer, path):
            return
        if rk == "record":
            self._record(reader, writer, path)
        elif rk == "enum":
            missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
            if missing and reader.get("default") is None:
                self._add(
                    "MISSING_ENUM_SYMBOLS",
                    f"{path}/symbols",
                    f"The {self.reader_label} schema is missing enum symbols '{missing}' at path "
                    f"'{path}/symbols' in the {self.writer_label} schema",
                    ", ".join(missing),
                )
        elif rk == "fixed":
            if reader["size"] != writer["size"]:
                self._add(
                    "FIXED_SIZE_MISMATCH",
                    f"{path}/size",
                    f"The size of FIXED type field at path '{path}/size' in the {self.reader_label} schema "
                    f"does not match with the {self.writer_label} schema",
                    f"expected: {writer['size']}, found: {reader['size']}",
                )
        elif rk == "array":
            self.check(reader["items"], writer["items"], f"{path}/items")
        elif rk == "map":
            self.check(reader["values"], writer["values"], f"{path}/values")

    def _names_match(self, reader: dict, writer: dict, path: str) -> bool:
        r_full, w_full = reader["name"], writer["name"]
        r_short, w_short = r_full.rpartition(".")[2], w_full.rpartition(".")[2]
        namespace = r_full.rpartition(".")[0]
        aliases = {a if "." in a or not namespace else f"{namespace}.{a}" for a in reader.get("aliases", [])}
        if r_short == w_short or w_full in aliases or w_short in {a.rpartition(".")[2] for a in aliases}:
            return True
        self._add(
            "NAME_MISMATCH",
            f"{path}/name",
            f"The name of the schema has changed (path '{path}/name')",
            f"expected: {w_full}",
        )
        return False

    def _record(self, reader: dict, writer: dict, path: str) -> None:
        key = (reader["name"], writer["name"])
        if key in self.visiting:  # a recursive type: this pair is being checked further up
            return
        self.visiting.add(key)
        by_name = {f["name"]: f for f in writer["fields"]}
        for i, field in enumerate(reader["fields"]):
            match = by_name.get(field["name"])
            if match is None:
                match = next((by_name[a] for a in field.get("aliases", []) if a in by_name), None)
            if match is not None:
                self.check(field["type"], match["type"], f"{path}/fields/{i}/type")
            elif "default" not in field:
                self._add(
                    "READER_FIELD_MISSING_DEFAULT_VALUE",
                    f"{path}/fields/{i}",
                    f"The field '{field['name']}' at path '{path}/fields/{i}' in the {self.reader_label} "
                    f"schema has no default value and is missing in the {self.writer_label} schema",
                    field["name"],
                )
        self.visiting.discard(key)


AVRO = AvroFormat()
