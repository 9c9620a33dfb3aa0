"""JSON Schema (drafts 4, 6, 7, 2019-09, 2020-12): validated by the ``jsonschema`` package against its
draft's meta-schema (``$schema``, draft 7 when absent, as Confluent does); compatibility by the rules
Confluent documents for JSON Schema, with its difference names.

A reader is compatible with a writer when every document the writer's schema accepts, the reader's accepts
too: the reader may only loosen. Checked: types (``integer`` within ``number``), string lengths and
patterns, numeric bounds and ``multipleOf``, ``enum`` and ``const``, object properties, ``required``,
open and closed content models (``additionalProperties``), property counts, array items (list and tuple
forms), item counts and ``uniqueItems``, ``oneOf``/``anyOf``/``allOf``, boolean schemas, and ``$ref`` to
local definitions and to referenced schemas (by the reference's name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from .base import Incompatibility, InvalidSchema, Parsed, ResolvedReference, compact_json, load_json

DRAFTS = {
    "http://json-schema.org/draft-04/schema": jsonschema.Draft4Validator,
    "http://json-schema.org/draft-06/schema": jsonschema.Draft6Validator,
    "http://json-schema.org/draft-07/schema": jsonschema.Draft7Validator,
    "https://json-schema.org/draft/2019-09/schema": jsonschema.Draft201909Validator,
    "https://json-schema.org/draft/2020-12/schema": jsonschema.Draft202012Validator,
}
ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})


@dataclass(frozen=True)
class JsonTree:
    root: Any
    refs: dict[str, Any]  # reference name -> the referenced schema's root


class JsonSchemaFormat:
    schema_type = "JSON"

    def parse(self, text: str, references: list[ResolvedReference]) -> Parsed:
        raw = load_json(text)
        if not isinstance(raw, dict | bool):
            raise InvalidSchema("Invalid schema: a JSON Schema is an object or a boolean.")
        refs: dict[str, Any] = {}
        for ref in references:
            if ref.parsed.schema_type != "JSON":
                raise InvalidSchema(f"Reference {ref.name!r} is a {ref.parsed.schema_type} schema, not JSON.")
            refs[ref.name] = ref.parsed.tree.root
            refs.update(ref.parsed.tree.refs)
        if isinstance(raw, dict):
            draft = (
                str(raw.get("$schema", ""))
                .rstrip("#")
                .replace("https://json-schema.org/draft-0", "http://json-schema.org/draft-0")
            )
            validator = DRAFTS.get(draft, jsonschema.Draft7Validator)
            try:
                validator.check_schema(raw)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.absolute_path) or "/"
                raise InvalidSchema(f"Invalid schema at {where}: {exc.message}") from None
            _check_refs(raw, raw, refs)
        compact = compact_json(raw)
        normalized = compact_json(raw, sort_keys=True)
        return Parsed("JSON", compact, normalized, JsonTree(raw, refs), tuple(references))

    def incompatibilities(
        self, *, reader: Parsed, writer: Parsed, new_is_reader: bool
    ) -> list[Incompatibility]:
        checker = _Checker(reader.tree, writer.tree, new_is_reader)
        checker.check(reader.tree.root, writer.tree.root, "#")
        return checker.found


def _resolve(node: Any, tree_root: Any, refs: dict[str, Any], depth: int = 0) -> Any:
    """Follow ``$ref`` (local pointers and referenced schemas) until a schema without one."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 64:
        target = node["$ref"]
        name, _, pointer = target.partition("#")
        base = refs.get(name) if name else tree_root
        if base is None:
            raise InvalidSchema(f"Invalid schema: unresolved $ref {target!r} (a missing reference?).")
        node = base
        for raw in [p for p in pointer.split("/") if p]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise InvalidSchema(f"Invalid schema: unresolved $ref {target!r}.")
        depth += 1
    return node


def _check_refs(node: Any, root: Any, refs: dict[str, Any]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            _resolve(node, root, refs)
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples"):
                _check_refs(value, root, refs)
    elif isinstance(node, list):
        for value in node:
            _check_refs(value, root, refs)


def _types(schema: dict) -> frozenset[str]:
    value = schema.get("type")
    if value is None:
        return ALL_TYPES
    types = frozenset([value] if isinstance(value, str) else value)
    return types | {"integer"} if "number" in types else types


class _Checker:
    def __init__(self, reader: JsonTree, writer: JsonTree, new_is_reader: bool):
        self.reader, self.writer = reader, writer
        self.new, self.old = ("new", "old") if new_is_reader else ("old", "new")
        self.found: list[Incompatibility] = []
        self.visiting: set[tuple[int, int]] = set()

    def _add(self, kind: str, path: str, what: str) -> None:
        self.found.append(
            Incompatibility(
                kind,
                path,
                f"{what} at path '{path}' in the {self.new} schema compared to the {self.old} schema",
                kind,
            )
        )

    def check(self, reader: Any, writer: Any, path: str) -> None:
        reader = _resolve(reader, self.reader.root, self.reader.refs)
        writer = _resolve(writer, self.writer.root, self.writer.refs)
        key = (id(reader), id(writer))
        if key in self.visiting:  # recursive schemas
            return
        self.visiting.add(key)
        try:
            self._check(reader, writer, path)
        finally:
            self.visiting.discard(key)

    def _check(self, reader: Any, writer: Any, path: str) -> None:
        if reader is True or reader == {}:
            return
        if writer is False:
            return
        if reader is False:
            self._add("SCHEMA_NARROWED", path, "The schema accepts nothing")
            return
        if writer is True:
            writer = {}
        for combiner in ("oneOf", "anyOf"):
            if combiner in writer and isinstance(writer[combiner], list):
                for i, branch in enumerate(writer[combiner]):
                    self.check({k: v for k, v in reader.items()}, branch, f"{path}/{combiner}/{i}")
                return
        if "allOf" in reader and isinstance(reader["allOf"], list):
            for i, branch in enumerate(reader["allOf"]):
                self.check(branch, writer, f"{path}/allOf/{i}")
        for combiner in ("oneOf", "anyOf"):
            if combiner in reader and isinstance(reader[combiner], list):
                if not any(self._fits(branch, writer) for branch in reader[combiner]):
                    self._add(
                        "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                        f"{path}/{combiner}",
                        f"No branch of {combiner} reads the {self.old} type",
                    )
                return
        self._type(reader, writer, path)
        self._bounds(reader, writer, path)
        self._values(reader, writer, path)
        if "object" in _types(reader) and "object" in _types(writer):
            self._object(reader, writer, path)
        if "array" in _types(reader) and "array" in _types(writer):
            self._array(reader, writer, path)

    def _fits(self, reader: Any, writer: Any) -> bool:
        trial = _Checker(self.reader, self.writer, self.new == "new")
        trial.visiting = set(self.visiting)
        trial.check(reader, writer, "#")
        return not trial.found

    def _type(self, reader: dict, writer: dict, path: str) -> None:
        r, w = _types(reader), _types(writer)
        if w <= r:
            return
        if r < w:
            self._add("TYPE_NARROWED", f"{path}/type", "The type is narrowed")
        else:
            self._add("TYPE_CHANGED", f"{path}/type", "The type is changed")

    def _limit(self, reader: dict, writer: dict, path: str, keyword: str, upper: bool, name: str) -> None:
        r, w = reader.get(keyword), writer.get(keyword)
        if not isinstance(r, int | float) or isinstance(r, bool):
            return
        if not isinstance(w, int | float) or isinstance(w, bool):
            self._add(f"{name}_ADDED", f"{path}/{keyword}", f"'{keyword}' is added")
        elif (upper and r < w) or (not upper and r > w):
            self._add(
                f"{name}_{'DECREASED' if upper else 'INCREASED'}",
                f"{path}/{keyword}",
                f"'{keyword}' is tightened",
            )

    def _bounds(self, reader: dict, writer: dict, path: str) -> None:
        for keyword, upper, name in (
            ("maxLength", True, "MAX_LENGTH"),
            ("minLength", False, "MIN_LENGTH"),
            ("maximum", True, "MAXIMUM"),
            ("minimum", False, "MINIMUM"),
            ("exclusiveMaximum", True, "EXCLUSIVE_MAXIMUM"),
            ("exclusiveMinimum", False, "EXCLUSIVE_MINIMUM"),
            ("maxProperties", True, "MAX_PROPERTIES"),
            ("minProperties", False, "MIN_PROPERTIES"),
            ("maxItems", True, "MAX_ITEMS"),
            ("minItems", False, "MIN_ITEMS"),
        ):
            self._limit(reader, writer, path, keyword, upper, name)
        if "pattern" in reader and reader.get("pattern") != writer.get("pattern"):
            kind = "PATTERN_CHANGED" if "pattern" in writer else "PATTERN_ADDED"
            self._add(kind, f"{path}/pattern", "'pattern' is added or changed")
        r, w = reader.get("multipleOf"), writer.get("multipleOf")
        if isinstance(r, int | float) and r:
            if not isinstance(w, int | float):
                self._add("MULTIPLE_OF_ADDED", f"{path}/multipleOf", "'multipleOf' is added")
            elif w % r:
                self._add("MULTIPLE_OF_CHANGED", f"{path}/multipleOf", "'multipleOf' is changed")
        if reader.get("uniqueItems") is True and writer.get("uniqueItems") is not True:
            self._add("UNIQUE_ITEMS_ADDED", f"{path}/uniqueItems", "'uniqueItems' is added")

    def _values(self, reader: dict, writer: dict, path: str) -> None:
        allowed = reader.get("enum")
        if "const" in reader:
            allowed = [reader["const"]]
        if not isinstance(allowed, list):
            return
        written = writer.get("enum") if "const" not in writer else [writer["const"]]
        if not isinstance(written, list):
            self._add("ENUM_ARRAY_CHANGED", f"{path}/enum", "Values are restricted")
        elif any(value not in allowed for value in written):
            self._add("ENUM_ARRAY_NARROWED", f"{path}/enum", "Values are removed")

    def _object(self, reader: dict, writer: dict, path: str) -> None:
        r_props, w_props = reader.get("properties") or {}, writer.get("properties") or {}
        r_extra, w_extra = reader.get("additionalProperties", True), writer.get("additionalProperties", True)
        for name, schema in r_props.items():
            where = f"{path}/properties/{name}"
            if name in w_props:
                self.check(schema, w_props[name], where)
            elif w_extra is False:
                continue  # the writer never wrote it
            elif w_extra is True or w_extra == {}:
                if schema is not True and schema != {}:
                    self._add(
                        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                        where,
                        f"The property '{name}' is added to an open content model",
                    )
            else:
                self.check(schema, w_extra, where)
        for name, schema in w_props.items():
            if name in r_props:
                continue
            where = f"{path}/properties/{name}"
            if r_extra is False:
                self._add(
                    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    where,
                    f"The property '{name}' is removed from a closed content model",
                )
            elif r_extra is not True and r_extra != {}:
                self.check(r_extra, schema, where)
        added = sorted(set(reader.get("required") or []) - set(writer.get("required") or []))
        for name in added:
            self._add(
                "REQUIRED_ATTRIBUTE_ADDED", f"{path}/required", f"The property '{name}' is now required"
            )
        if r_extra is False and w_extra is not False:
            self._add(
                "ADDITIONAL_PROPERTIES_REMOVED",
                f"{path}/additionalProperties",
                "Additional properties are no longer allowed",
            )
        elif isinstance(r_extra, dict) and r_extra != {}:
            if w_extra is True or w_extra == {}:
                self._add(
                    "ADDITIONAL_PROPERTIES_NARROWED",
                    f"{path}/additionalProperties",
                    "Additional properties are narrowed",
                )
            elif isinstance(w_extra, dict):
                self.check(r_extra, w_extra, f"{path}/additionalProperties")

    def _array(self, reader: dict, writer: dict, path: str) -> None:
        r_items = reader.get("prefixItems", reader.get("items"))
        w_items = writer.get("prefixItems", writer.get("items"))
        if r_items is None:
            return
        if isinstance(r_items, list) or isinstance(w_items, list):
            r_list = r_items if isinstance(r_items, list) else []
            w_list = w_items if isinstance(w_items, list) else []
            for i, schema in enumerate(r_list):
                if i < len(w_list):
                    self.check(schema, w_list[i], f"{path}/items/{i}")
                elif not isinstance(w_items, list) and w_items is not None:
                    self.check(schema, w_items, f"{path}/items/{i}")
            if len(r_list) < len(w_list) and reader.get("additionalItems", reader.get("items")) is False:
                self._add(
                    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", f"{path}/items", "Tuple items are removed"
                )
            return
        if w_items is None:
            if r_items is not True and r_items != {}:
                self._add("ITEMS_NARROWED", f"{path}/items", "Items are restricted")
            return
        self.check(r_items, w_items, f"{path}/items")


JSON_SCHEMA = JsonSchemaFormat()
