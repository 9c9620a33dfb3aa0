"""Protobuf (proto2 and proto3): ``.proto`` text parsed by proto-schema-parser (an ANTLR grammar of the
language), or a base64 ``FileDescriptorProto`` as Confluent's serializers send it; stored as ``.proto`` text
(what Confluent serves), served as a descriptor with ``format=serialized``. Compatibility by the rules
Confluent documents for Protobuf, with its difference names.

Rules (reader against writer, both directions under FULL): ``PACKAGE_CHANGED``; ``MESSAGE_REMOVED`` (a
writer message the reader lacks); per field number: ``FIELD_KIND_CHANGED`` (scalar / message / enum / map),
``FIELD_SCALAR_KIND_CHANGED`` unless both are in one wire-compatible group (int32 uint32 int64 uint64 bool;
sint32 sint64; string bytes; fixed32 sfixed32; fixed64 sfixed64), ``FIELD_NAMED_TYPE_CHANGED``,
``REQUIRED_FIELD_ADDED`` / ``REQUIRED_FIELD_REMOVED`` (proto2), ``ONEOF_FIELD_REMOVED`` (a field leaves its
oneof) and ``MULTIPLE_FIELDS_MOVED_TO_ONEOF``. Added and removed optional fields are compatible (unknown
fields are skipped, absent ones take defaults), as are added enum values.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from .base import Incompatibility, InvalidSchema, Parsed, ResolvedReference

SCALARS = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
]  # fmt: skip
WIRE_GROUPS = [
    {"int32", "uint32", "int64", "uint64", "bool"},
    {"sint32", "sint64"},
    {"string", "bytes"},
    {"fixed32", "sfixed32"},
    {"fixed64", "sfixed64"},
]
FDP = descriptor_pb2.FieldDescriptorProto
SCALAR_TYPES = {name: getattr(FDP, f"TYPE_{name.upper()}") for name in SCALARS}
TYPE_NAMES = {value: name for name, value in SCALAR_TYPES.items()}
LABELS = {"optional": FDP.LABEL_OPTIONAL, "required": FDP.LABEL_REQUIRED, "repeated": FDP.LABEL_REPEATED}


# -- the model both inputs become ---------------------------------------------------------------------------
@dataclass
class PField:
    name: str
    number: int
    type: str  # a scalar name, or a type name as written (resolved to a full name later)
    label: str = ""  # "", optional, required, repeated
    oneof: str | None = None
    map_key: str | None = None  # map<key, value>: type is the value type
    full_type: str = ""  # ".pkg.Message" for messages and enums, after resolution
    kind: str = ""  # scalar | message | enum | map


@dataclass
class PEnum:
    name: str
    values: list[tuple[str, int]]


@dataclass
class PMessage:
    name: str
    fields: list[PField] = field(default_factory=list)
    messages: list[PMessage] = field(default_factory=list)
    enums: list[PEnum] = field(default_factory=list)
    oneofs: list[str] = field(default_factory=list)


@dataclass
class PFile:
    syntax: str
    package: str
    imports: list[str]
    messages: list[PMessage]
    enums: list[PEnum]
    kinds: dict[str, str] = field(default_factory=dict)  # full name -> message | enum (incl. references)
    messages_by_name: dict[str, PMessage] = field(default_factory=dict)


# -- from .proto text -------------------------------------------------------------------------------------
def _raise_on_error(recognizer) -> None:
    from antlr4.error.ErrorListener import ErrorListener

    class Raise(ErrorListener):
        def syntaxError(self, recognizer, offending, line, column, msg, e):  # noqa: N802 - ANTLR's API
            raise InvalidSchema(f"Invalid schema: line {line}:{column} {msg}")

    recognizer.removeErrorListeners()
    recognizer.addErrorListener(Raise())


def _from_text(text: str) -> PFile:
    from proto_schema_parser import ast
    from proto_schema_parser.parser import Parser

    tree = Parser(setup_lexer=_raise_on_error, setup_parser=_raise_on_error).parse(text)

    def label(value) -> str:
        return value.value.lower() if value is not None else ""

    def message(node) -> PMessage:
        out = PMessage(node.name)
        for element in node.elements:
            if isinstance(element, ast.Field):
                out.fields.append(
                    PField(element.name, element.number, element.type, label(element.cardinality))
                )
            elif isinstance(element, ast.MapField):
                out.fields.append(
                    PField(
                        element.name, element.number, element.value_type, "repeated", map_key=element.key_type
                    )
                )
            elif isinstance(element, ast.OneOf):
                out.oneofs.append(element.name)
                for inner in element.elements:
                    if isinstance(inner, ast.Field):
                        out.fields.append(
                            PField(inner.name, inner.number, inner.type, "", oneof=element.name)
                        )
            elif isinstance(element, ast.Message):
                out.messages.append(message(element))
            elif isinstance(element, ast.Enum):
                out.enums.append(enum(element))
        return out

    def enum(node) -> PEnum:
        return PEnum(node.name, [(v.name, v.number) for v in node.elements if isinstance(v, ast.EnumValue)])

    package = next((e.name for e in tree.file_elements if isinstance(e, ast.Package)), "")
    return PFile(
        syntax=tree.syntax or "proto2",
        package=package,
        imports=[e.name for e in tree.file_elements if isinstance(e, ast.Import)],
        messages=[message(e) for e in tree.file_elements if isinstance(e, ast.Message)],
        enums=[enum(e) for e in tree.file_elements if isinstance(e, ast.Enum)],
    )


# -- from a descriptor (Confluent's serializers send base64 FileDescriptorProto) -------------------------
def _from_descriptor(proto: descriptor_pb2.FileDescriptorProto) -> PFile:
    labels = {FDP.LABEL_OPTIONAL: "optional", FDP.LABEL_REQUIRED: "required", FDP.LABEL_REPEATED: "repeated"}
    proto3 = proto.syntax == "proto3"

    def message(node) -> PMessage:
        out = PMessage(node.name)
        entries = {n.name: n for n in node.nested_type if n.options.map_entry}
        out.oneofs = [o.name for o in node.oneof_decl]
        for f in node.field:
            oneof = node.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
            if f.proto3_optional:
                oneof = None
            kind_label = labels.get(f.label, "")
            if proto3 and kind_label == "optional" and not f.proto3_optional:
                kind_label = ""
            if oneof:
                kind_label = ""
            type_name = TYPE_NAMES.get(f.type) or f.type_name
            entry = entries.get(f.type_name.rsplit(".", 1)[-1]) if f.type == FDP.TYPE_MESSAGE else None
            if entry is not None and f.label == FDP.LABEL_REPEATED:
                key, value = entry.field[0], entry.field[1]
                value_type = TYPE_NAMES.get(value.type) or value.type_name
                out.fields.append(
                    PField(f.name, f.number, value_type, "repeated", map_key=TYPE_NAMES[key.type])
                )
            else:
                out.fields.append(PField(f.name, f.number, type_name, kind_label, oneof=oneof))
        out.oneofs = [o for o in out.oneofs if any(f.oneof == o for f in out.fields)]
        out.messages = [message(n) for n in node.nested_type if not n.options.map_entry]
        out.enums = [enum(e) for e in node.enum_type]
        return out

    def enum(node) -> PEnum:
        return PEnum(node.name, [(v.name, v.number) for v in node.value])

    return PFile(
        syntax=proto.syntax or "proto2",
        package=proto.package,
        imports=list(proto.dependency),
        messages=[message(m) for m in proto.message_type],
        enums=[enum(e) for e in proto.enum_type],
    )


def _decode_base64(text: str) -> descriptor_pb2.FileDescriptorProto | None:
    stripped = text.strip()
    if not stripped or any(c in stripped for c in "{};= \n"):
        return None
    try:
        raw = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        return None
    proto = descriptor_pb2.FileDescriptorProto()
    try:
        proto.ParseFromString(raw)
    except DecodeError:
        return None
    return proto if (proto.message_type or proto.enum_type) else None


# -- names and kinds ---------------------------------------------------------------------------------------
def _index(pfile: PFile, references: list[ResolvedReference]) -> None:
    prefix = f".{pfile.package}" if pfile.package else ""

    def walk(messages: list[PMessage], enums: list[PEnum], scope: str) -> None:
        for enum in enums:
            pfile.kinds[f"{scope}.{enum.name}"] = "enum"
        for message in messages:
            name = f"{scope}.{message.name}"
            pfile.kinds[name] = "message"
            pfile.messages_by_name[name] = message
            walk(message.messages, message.enums, name)

    walk(pfile.messages, pfile.enums, prefix)
    for ref in references:
        if ref.parsed.schema_type != "PROTOBUF":
            raise InvalidSchema(f"Reference {ref.name!r} is a {ref.parsed.schema_type} schema, not Protobuf.")
        pfile.kinds.update(ref.parsed.tree.kinds)
    known_imports = [i for i in pfile.imports if i.startswith("google/protobuf/")]
    referenced = {ref.name for ref in references}
    missing = [i for i in pfile.imports if i not in referenced and i not in known_imports]
    if missing:
        raise InvalidSchema(f"Invalid schema: import {missing[0]!r} has no reference.")

    def resolve(type_name: str, scope: str) -> tuple[str, str]:
        if type_name.startswith("."):
            candidates = [type_name]
        else:
            parts = scope.split(".")
            candidates = [".".join([*parts[:i], type_name]) for i in range(len(parts), 0, -1)]
            candidates = [c if c.startswith(".") else f".{c}" for c in candidates] + [f".{type_name}"]
        for candidate in candidates:
            if candidate in pfile.kinds:
                return candidate, pfile.kinds[candidate]
        if type_name.lstrip(".").startswith("google.protobuf.") and known_imports:
            return "." + type_name.lstrip("."), "message"
        raise InvalidSchema(
            f"Invalid schema: unknown type {type_name!r} in {scope.lstrip('.') or 'the file'}."
        )

    def fields(messages: list[PMessage], scope: str) -> None:
        for message in messages:
            name = f"{scope}.{message.name}"
            numbers: set[int] = set()
            for f in message.fields:
                if f.number in numbers:
                    raise InvalidSchema(
                        f"Invalid schema: field number {f.number} is used twice in {name.lstrip('.')}."
                    )
                numbers.add(f.number)
                if f.map_key is not None:
                    f.kind = "map"
                    f.full_type = f.type if f.type in SCALARS else resolve(f.type, name)[0]
                elif f.type in SCALARS:
                    f.kind, f.full_type = "scalar", f.type
                else:
                    f.full_type, f.kind = resolve(f.type, name)
            fields(message.messages, name)

    fields(pfile.messages, prefix)


# -- rendering: .proto text and descriptors --------------------------------------------------------------
def _render(pfile: PFile) -> str:
    lines = [f'syntax = "{pfile.syntax}";']
    if pfile.package:
        lines.append(f"package {pfile.package};")
    lines += [f'import "{name}";' for name in pfile.imports]

    def display(full: str) -> str:  # canonical: the full name, relative to the package when inside it
        prefix = f".{pfile.package}." if pfile.package else "."
        return full[len(prefix) :] if full.startswith(prefix) else full.lstrip(".")

    def type_of(f: PField) -> str:
        value = f.type if f.type in SCALARS else display(f.full_type)
        return f"map<{f.map_key}, {value}>" if f.map_key is not None else value

    def render_enum(enum: PEnum, indent: str) -> None:
        lines.append(f"{indent}enum {enum.name} {{")
        lines.extend(f"{indent}  {name} = {number};" for name, number in enum.values)
        lines.append(f"{indent}}}")

    def render_message(message: PMessage, indent: str) -> None:
        lines.append(f"{indent}message {message.name} {{")
        inner = indent + "  "
        done_oneofs: set[str] = set()
        for f in message.fields:
            if f.oneof:
                if f.oneof in done_oneofs:
                    continue
                done_oneofs.add(f.oneof)
                lines.append(f"{inner}oneof {f.oneof} {{")
                lines.extend(
                    f"{inner}  {type_of(o)} {o.name} = {o.number};"
                    for o in message.fields
                    if o.oneof == f.oneof
                )
                lines.append(f"{inner}}}")
                continue
            label = f"{f.label} " if f.label and f.map_key is None else ""
            lines.append(f"{inner}{label}{type_of(f)} {f.name} = {f.number};")
        for nested in message.messages:
            render_message(nested, inner)
        for enum in message.enums:
            render_enum(enum, inner)
        lines.append(f"{indent}}}")

    for message in pfile.messages:
        render_message(message, "")
    for enum in pfile.enums:
        render_enum(enum, "")
    return "\n".join(lines) + "\n"


def descriptor(pfile: PFile, name: str = "schema.proto") -> descriptor_pb2.FileDescriptorProto:
    """The FileDescriptorProto of a parsed schema (``format=serialized``)."""
    proto = descriptor_pb2.FileDescriptorProto(name=name, package=pfile.package, syntax=pfile.syntax)
    proto.dependency.extend(pfile.imports)

    def set_type(out, f_type: str, full_type: str, kind: str) -> None:
        if f_type in SCALARS:
            out.type = SCALAR_TYPES[f_type]
        else:
            out.type = (
                FDP.TYPE_ENUM if kind == "enum" or pfile.kinds.get(full_type) == "enum" else FDP.TYPE_MESSAGE
            )
            out.type_name = full_type

    def fill_message(out, message: PMessage, scope: str) -> None:
        out.name = message.name
        full = f"{scope}.{message.name}"
        for oneof in message.oneofs:
            out.oneof_decl.add(name=oneof)
        for f in message.fields:
            field_out = out.field.add(name=f.name, number=f.number, json_name=_json_name(f.name))
            if f.map_key is not None:
                entry_name = "".join(p[:1].upper() + p[1:] for p in f.name.split("_")) + "Entry"
                entry = out.nested_type.add(name=entry_name)
                entry.options.map_entry = True
                entry.field.add(
                    name="key",
                    number=1,
                    label=FDP.LABEL_OPTIONAL,
                    type=SCALAR_TYPES[f.map_key],
                    json_name="key",
                )
                value = entry.field.add(name="value", number=2, label=FDP.LABEL_OPTIONAL, json_name="value")
                set_type(value, f.type, f.full_type, "")
                field_out.label = FDP.LABEL_REPEATED
                field_out.type = FDP.TYPE_MESSAGE
                field_out.type_name = f"{full}.{entry_name}"
                continue
            field_out.label = LABELS.get(f.label, FDP.LABEL_OPTIONAL)
            set_type(field_out, f.type, f.full_type, f.kind)
            if f.oneof:
                field_out.oneof_index = message.oneofs.index(f.oneof)
        for nested in message.messages:
            fill_message(out.nested_type.add(), nested, full)
        for enum in message.enums:
            fill_enum(out.enum_type.add(), enum)

    def fill_enum(out, enum: PEnum) -> None:
        out.name = enum.name
        for value_name, number in enum.values:
            out.value.add(name=value_name, number=number)

    scope = f".{pfile.package}" if pfile.package else ""
    for message in pfile.messages:
        fill_message(proto.message_type.add(), message, scope)
    for enum in pfile.enums:
        fill_enum(proto.enum_type.add(), enum)
    return proto


def _json_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


# -- the format ---------------------------------------------------------------------------------------------
class ProtobufFormat:
    schema_type = "PROTOBUF"

    def parse(self, text: str, references: list[ResolvedReference]) -> Parsed:
        proto = _decode_base64(text)
        if proto is not None:
            pfile = _from_descriptor(proto)
        else:
            try:
                pfile = _from_text(text)
            except InvalidSchema:
                raise
            except Exception as exc:  # the grammar's visitor on odd input
                raise InvalidSchema(f"Invalid schema: {exc}") from None
        if not pfile.messages and not pfile.enums:
            raise InvalidSchema("Invalid schema: no message or enum.")
        _index(pfile, references)
        rendered = _render(pfile)
        return Parsed("PROTOBUF", rendered, rendered, pfile, tuple(references))

    def serialized(self, parsed: Parsed) -> str:
        """The schema as Confluent's ``format=serialized``: a base64 FileDescriptorProto."""
        return base64.b64encode(descriptor(parsed.tree).SerializeToString()).decode()

    def incompatibilities(
        self, *, reader: Parsed, writer: Parsed, new_is_reader: bool
    ) -> list[Incompatibility]:
        new, old = ("new", "old") if new_is_reader else ("old", "new")
        r, w = reader.tree, writer.tree
        found: list[Incompatibility] = []

        def add(kind: str, path: str, what: str) -> None:
            found.append(
                Incompatibility(kind, path, f"{what} (the {new} schema against the {old} schema)", kind)
            )

        if r.package != w.package:
            add("PACKAGE_CHANGED", "#/package", f"The package changed from '{w.package}' to '{r.package}'")
        for name, w_message in w.messages_by_name.items():
            path = f"#/{name.lstrip('.')}"
            r_message = r.messages_by_name.get(
                name.replace(f".{w.package}", f".{r.package}", 1) if w.package else name
            )
            if r_message is None:
                add("MESSAGE_REMOVED", path, f"The message {name.lstrip('.')} is removed")
                continue
            _compare_fields(r_message, w_message, path, add, r, w)
        return found


def _same_named(r_type: str, w_type: str, r: PFile, w: PFile) -> bool:
    if r_type == w_type:
        return True
    strip = lambda t, pkg: t[len(pkg) + 2 :] if pkg and t.startswith(f".{pkg}.") else t.lstrip(".")  # noqa: E731
    return strip(r_type, r.package) == strip(w_type, w.package)


def _compare_fields(r_message: PMessage, w_message: PMessage, path: str, add, r: PFile, w: PFile) -> None:
    r_fields = {f.number: f for f in r_message.fields}
    w_fields = {f.number: f for f in w_message.fields}
    for number, wf in w_fields.items():
        rf = r_fields.get(number)
        where = f"{path}/{number}"
        if rf is None:
            if wf.label == "required":
                add("REQUIRED_FIELD_REMOVED", where, f"The required field '{wf.name}' is removed")
            continue
        if rf.kind != wf.kind:
            add("FIELD_KIND_CHANGED", where, f"The field '{rf.name}' changed from a {wf.kind} to a {rf.kind}")
            continue
        if (
            rf.kind == "scalar"
            and rf.type != wf.type
            and not any({rf.type, wf.type} <= g for g in WIRE_GROUPS)
        ):
            add(
                "FIELD_SCALAR_KIND_CHANGED",
                where,
                f"The field '{rf.name}' changed from {wf.type} to {rf.type}",
            )
        if rf.kind in ("message", "enum") and not _same_named(rf.full_type, wf.full_type, r, w):
            add(
                "FIELD_NAMED_TYPE_CHANGED",
                where,
                f"The field '{rf.name}' changed type from {wf.full_type} to {rf.full_type}",
            )
        if rf.kind == "map" and (rf.map_key != wf.map_key or rf.type != wf.type):
            add("FIELD_KIND_CHANGED", where, f"The map field '{rf.name}' changed its key or value type")
        if rf.label == "required" and wf.label != "required":
            add("REQUIRED_FIELD_ADDED", where, f"The field '{rf.name}' became required")
        if wf.label == "required" and rf.label != "required":
            add("REQUIRED_FIELD_REMOVED", where, f"The field '{rf.name}' is no longer required")
        if wf.oneof and rf.oneof != wf.oneof:
            add("ONEOF_FIELD_REMOVED", where, f"The field '{rf.name}' left the oneof '{wf.oneof}'")
    for number, rf in r_fields.items():
        if number not in w_fields and rf.label == "required":
            add("REQUIRED_FIELD_ADDED", f"{path}/{number}", f"The required field '{rf.name}' is added")
    moved: dict[str, int] = {}
    for number, rf in r_fields.items():
        wf = w_fields.get(number)
        if rf.oneof and wf is not None and not wf.oneof:
            moved[rf.oneof] = moved.get(rf.oneof, 0) + 1
    for oneof, count in moved.items():
        if count > 1:
            add(
                "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
                f"{path}/{oneof}",
                f"{count} existing fields moved into the oneof '{oneof}'",
            )


PROTOBUF: Any = ProtobufFormat()
