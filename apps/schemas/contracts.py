"""The shapes of the registry's own REST API (/api/v1/schemas): the inputs it parses (dictamesh.contracts)
and the answers documented in the OpenAPI (docs/api.md). The Confluent-compatible API keeps Confluent's
wire shapes and error codes (confluent.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from dictamesh.contracts import Contract, hinted, text

SCHEMA_TYPES = ("AVRO", "JSON", "PROTOBUF", "GRAPHQL")


class Reference(BaseModel):
    """A schema another one references: by its name in the referring schema, subject and version"""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    subject: str
    version: int = Field(ge=1)


class SchemaIn(Contract):
    """A schema to register (schema_type and rule_set may also be spelt as Confluent does)"""

    what: ClassVar[str] = "schema"
    schema_: text(1_000_000) = hinted(
        "required: the schema's text", ..., validation_alias="schema", serialization_alias="schema"
    )
    schema_type: str = hinted(
        f"one of {', '.join(SCHEMA_TYPES)}", "AVRO",
        validation_alias=AliasChoices("schema_type", "schemaType"),
    )  # fmt: skip
    references: list[Reference] = hinted("a list of {name, subject, version}", [])
    metadata: dict[str, Any] | None = hinted("a JSON object: Confluent's metadata (tags, properties)")
    rule_set: dict[str, Any] | None = hinted(
        "a JSON object: Confluent's ruleSet", validation_alias=AliasChoices("rule_set", "ruleSet")
    )
    normalize: bool = hinted("true or false", False)

    def as_input(self):
        from .services import SchemaInput

        return SchemaInput(
            text=self.schema_, schema_type=self.schema_type.upper(),
            references=tuple(r.model_dump() for r in self.references), metadata=self.metadata,
            rule_set=self.rule_set,
        )  # fmt: skip


class SchemaCheckIn(SchemaIn):
    """A schema to check against a version ("latest", a number) or, without one, all the level names"""

    what: ClassVar[str] = "compatibility check"
    version: int | Literal["latest"] | None = hinted("a version number, or latest")


class MigrationIn(Contract):
    """A migration script of a version: up moves data to it, down back from it"""

    what: ClassVar[str] = "migration script"
    name: text(200) = hinted("required, at most 200 characters", ...)
    direction: Literal["up", "down"] = hinted("up or down", ...)
    body: text(1_000_000) = hinted("required: the script's text", ...)
    language: text(30) = hinted("at most 30 characters (sql, python, ...)", "sql")
    description: str = hinted("a string of at most 5,000 characters", "", max_length=5000)


class Migration(BaseModel):
    """A migration script"""

    name: str
    direction: Literal["up", "down"]
    language: str
    body: str
    description: str
    actor: str
    created_at: datetime


class VersionSummary(BaseModel):
    """A version of a subject"""

    subject: str
    version: int
    id: int
    schema_type: str
    deleted: bool
    created_at: datetime | None
    actor: str


class Version(VersionSummary):
    """A version of a subject with its schema, references and migrations"""

    schema_: str = Field(alias="schema")
    references: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    rule_set: dict[str, Any] | None
    migrations: list[Migration]


class Registered(Version):
    """The version registered (created: false when the same schema was already a version)"""

    created: bool


class Subjects(BaseModel):
    """Subjects with their latest version"""

    subjects: list[VersionSummary]


class SubjectDetail(BaseModel):
    """A subject: its versions, compatibility level and mode, and the entities whose data contract it is
    (those this caller may read)"""

    subject: str
    compatibility: str
    mode: str
    versions: list[VersionSummary]
    entities: list[str]


class Diff(BaseModel):
    """A unified diff between two versions' schemas (JSON formats pretty-printed)"""

    subject: str
    from_: int = Field(alias="from")
    to: int
    diff: list[str]
    old: list[str]
    new: list[str]


class CheckResult(BaseModel):
    """Whether a schema is compatible, and what is not"""

    compatible: bool
    compatibility: str
    messages: list[str]


class MigrationAdded(BaseModel):
    """A migration script stored"""

    name: str
    direction: Literal["up", "down"]
    language: str
