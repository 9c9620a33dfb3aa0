"""PostgreSQL sources: tables become catalog entities, with their columns, keys, comments, generated schemas
(JSON Schema and Avro, registered in the registry as the tables' data contracts) and foreign keys as
relationships. Live rows are fetched by primary key; rows are sampled for PII detection.

The database's own catalog (pg_catalog) is read directly: one query for every table, column and key, so a
schema of thousands of tables is introspected in one round trip. An incremental sync compares each table's
definition with the checkpoint's fingerprint and yields only the tables that changed, appeared or went away.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import time
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import (
    Adapter,
    Change,
    ConfigError,
    EntityType,
    Health,
    PermanentError,
    Relationship,
    RetryableError,
    SyncBatch,
)
from .config import AdapterConfig, EnvSecret

BATCH = 200

INTROSPECT = """
SELECT n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class'), c.reltuples::bigint,
       coalesce((SELECT json_agg(json_build_object(
            'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'base', t.typname,
            'category', t.typcategory, 'element', et.typname, 'nullable', NOT a.attnotnull,
            'precision', information_schema._pg_numeric_precision(a.atttypid, a.atttypmod),
            'scale', information_schema._pg_numeric_scale(a.atttypid, a.atttypmod),
            'comment', col_description(c.oid, a.attnum)) ORDER BY a.attnum)
          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem
                AND t.typcategory = 'A'
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::json),
       coalesce((SELECT json_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))
          FROM pg_index i JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = c.oid AND i.indisprimary), '[]'::json),
       coalesce((SELECT json_agg(json_build_object(
            'name', f.conname, 'schema', fn.nspname, 'table', fc.relname,
            'columns', (SELECT json_agg(a.attname ORDER BY k.o) FROM unnest(f.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.n),
            'references', (SELECT json_agg(a.attname ORDER BY k.o) FROM unnest(f.confkey) WITH ORDINALITY k(n, o)
                            JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.n)))
          FROM pg_constraint f JOIN pg_class fc ON fc.oid = f.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
         WHERE f.conrelid = c.oid AND f.contype = 'f'), '[]'::json)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY(%s) AND NOT c.relispartition
 ORDER BY n.nspname, c.relname
"""
KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


class ErasureTable(AdapterConfig):
    mode: Literal["delete", "anonymize"] = Field(
        "delete", description="delete the rows, or overwrite columns"
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="anonymize: column → the value it gets (null allowed)"
    )

    @model_validator(mode="after")
    def _columns(self):
        if self.mode == "anonymize" and not self.set:
            raise ValueError("anonymize needs set: {column: value}")
        return self


class Erasure(AdapterConfig):
    """Which tables data-subject erasure may change, and how (nothing is written to a table not listed).
    The user needs the rights: DELETE or UPDATE on them."""

    tables: dict[str, ErasureTable] = Field(default_factory=dict, description="schema.table → how")


class PostgresConfig(AdapterConfig):
    host: str = Field("", description="the server (or use dsn)")
    port: int = Field(5432, ge=1, le=65535)
    database: str = ""
    user: str = ""
    password: EnvSecret | None = None
    dsn: EnvSecret | None = Field(None, description="a whole connection string, from the environment")
    sslmode: str = Field("prefer", pattern="^(disable|allow|prefer|require|verify-ca|verify-full)$")
    schemas: list[str] = Field(default_factory=lambda: ["public"], min_length=1)
    include: list[str] = Field(
        default_factory=list, description="table name patterns (schema.table, * and ?)"
    )
    exclude: list[str] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list, description="owner principals of every table")
    connect_timeout: int = Field(10, ge=1, le=300)
    statement_timeout_ms: int = Field(30_000, ge=100, le=3_600_000)
    erasure: Erasure = Field(
        default_factory=Erasure, description="data-subject erasure (off unless tables listed)"
    )


def _pascal(name: str) -> str:
    return (
        "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part) or "Record"
    )


def _avro_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"


def _json_type(column: dict) -> dict:
    base, category = column["base"], column["category"]
    if category == "A":
        item = _json_type({**column, "base": (column["element"] or "text").lstrip("_"), "category": "X"})
        schema: dict[str, Any] = {"type": "array", "items": item}
    elif base in ("int2", "int4", "int8", "oid"):
        schema = {"type": "integer"}
    elif base in ("float4", "float8", "numeric", "money"):
        schema = {"type": "number"}
    elif base == "bool":
        schema = {"type": "boolean"}
    elif base in ("json", "jsonb"):
        schema = {}
    elif base in ("timestamp", "timestamptz"):
        schema = {"type": "string", "format": "date-time"}
    elif base == "date":
        schema = {"type": "string", "format": "date"}
    elif base == "uuid":
        schema = {"type": "string", "format": "uuid"}
    else:
        schema = {"type": "string"}
    return schema


def _avro_type(column: dict):
    base, category = column["base"], column["category"]
    if category == "A":
        return {"type": "array", "items": _avro_type({**column, "base": (column["element"] or "text").lstrip("_"),
                                                       "category": "X"})}  # fmt: skip
    if base in ("int2", "int4"):
        return "int"
    if base in ("int8", "oid"):
        return "long"
    if base == "float4":
        return "float"
    if base == "float8":
        return "double"
    if base == "numeric" and column.get("precision"):
        return {"type": "bytes", "logicalType": "decimal", "precision": column["precision"],
                "scale": column.get("scale") or 0}  # fmt: skip
    if base == "bool":
        return "boolean"
    if base == "bytea":
        return "bytes"
    if base in ("timestamp", "timestamptz"):
        return {"type": "long", "logicalType": "timestamp-micros"}
    if base == "date":
        return {"type": "int", "logicalType": "date"}
    if base == "uuid":
        return {"type": "string", "logicalType": "uuid"}
    return "string"


def json_schema(table: dict) -> dict:
    properties = {}
    for column in table["columns"]:
        schema = _json_type(column)
        if column["nullable"] and "type" in schema:
            schema = {**schema, "type": [schema["type"], "null"]}
        if column.get("comment"):
            schema = {**schema, "description": column["comment"]}
        properties[column["name"]] = schema
    return {
        "$schema": "http://json-schema.org/draft-07/schema#", "title": f"{table['schema']}.{table['name']}",
        "type": "object", "properties": properties,
        "required": [c["name"] for c in table["columns"] if not c["nullable"]],
    }  # fmt: skip


def avro_schema(table: dict) -> dict:
    fields = []
    for column in table["columns"]:
        kind = _avro_type(column)
        field: dict[str, Any] = {
            "name": _avro_name(column["name"]),
            "type": ["null", kind] if column["nullable"] else kind,
        }
        if column["nullable"]:
            field["default"] = None
        if column.get("comment"):
            field["doc"] = column["comment"]
        fields.append(field)
    return {
        "type": "record",
        "name": _pascal(table["name"]),
        "namespace": _avro_name(table["schema"]),
        "fields": fields,
    }


def _guarded(conninfo: str) -> str:
    """The connection string, pinned to the checked address (``hostaddr``): the server must be allowed by
    the outbound policy (dictamesh.outbound), and must not be DictaMesh's own database."""
    from django.db import connections
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from dictamesh.outbound import OutboundRefused, resolve

    params = conninfo_to_dict(conninfo)
    host, port = str(params.get("host") or ""), int(params.get("port") or 5432)
    dbname = str(params.get("dbname") or params.get("user") or "")
    if not host or host.startswith("/") or "," in host:
        raise ConfigError("Name one server by host name or address (not a socket directory, not a list).")
    try:
        address = str(params.get("hostaddr") or "") or resolve(host, port)
        if params.get("hostaddr"):
            resolve(address, port)
    except OutboundRefused as exc:
        raise ConfigError(str(exc)) from exc
    own = connections["default"].settings_dict
    own_host = str(own.get("HOST") or "")
    own_port = int(own.get("PORT") or 5432)
    if dbname == own.get("NAME") and port == own_port:
        try:
            same = own_host.startswith("/") or resolve(own_host, own_port) == address
        except Exception:  # noqa: BLE001 - our own server is refused by the policy: compare the names
            same = own_host == host
        if same:
            raise ConfigError("DictaMesh's own database cannot be an adapter's source.")
    return make_conninfo(conninfo, hostaddr=address)


class PostgresAdapter(Adapter):
    kind = "postgresql"
    title = "PostgreSQL database"
    Config = PostgresConfig
    config: PostgresConfig

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._connection = None

    # -- connection ------------------------------------------------------------------------------------
    def _conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        config = self.config
        base = config.dsn.value() if config.dsn else ""
        if not base and not (config.host and config.database):
            raise ConfigError("Set host and database, or dsn.")
        options = f"-c statement_timeout={config.statement_timeout_ms} -c default_transaction_read_only=on"
        extra = {
            "connect_timeout": config.connect_timeout,
            "application_name": f"dictamesh-{self.instance}",
            "options": options,
        }
        if not config.dsn:
            extra.update(host=config.host, port=config.port, dbname=config.database, sslmode=config.sslmode)
            if config.user:
                extra["user"] = config.user
            if config.password:
                extra["password"] = config.password.value()
        return _guarded(make_conninfo(base, **extra))

    def _db(self):
        import psycopg

        if self._connection is None or self._connection.closed:
            try:
                self._connection = psycopg.connect(self._conninfo(), autocommit=True)
            except psycopg.OperationalError as exc:
                text = str(exc)
                if (
                    "password authentication failed" in text
                    or "does not exist" in text
                    or "no pg_hba" in text
                ):
                    raise ConfigError(f"The database refused the connection: {text.strip()[:300]}") from exc
                raise RetryableError(f"Cannot reach the database: {text.strip()[:300]}") from exc
        return self._connection

    def _query(self, sql, params=()) -> list[tuple]:
        import psycopg

        try:
            with self._db().cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except psycopg.OperationalError as exc:
            self.stop()
            raise RetryableError(f"The database connection failed: {str(exc).strip()[:300]}") from exc
        except psycopg.errors.QueryCanceled as exc:
            raise RetryableError(f"The query took longer than {self.config.statement_timeout_ms} ms") from exc
        except psycopg.Error as exc:
            raise PermanentError(f"The database refused the query: {str(exc).strip()[:300]}") from exc

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- the protocol ----------------------------------------------------------------------------------
    def health(self) -> Health:
        started = time.perf_counter()
        try:
            version = self._query("SELECT current_setting('server_version')")[0][0]
        except RetryableError as exc:
            return Health(False, exc.message, (time.perf_counter() - started) * 1000)
        return Health(True, f"PostgreSQL {version}", (time.perf_counter() - started) * 1000)

    def tables(self) -> list[dict]:
        """Every table and view of the configured schemas (after include and exclude), described."""
        found = []
        for schema, name, relkind, comment, estimate, columns, primary, foreign in self._query(
            INTROSPECT, (list(self.config.schemas),)
        ):
            key = f"{schema}.{name}"
            if self.config.include and not any(fnmatch.fnmatchcase(key, p) for p in self.config.include):
                continue
            if any(fnmatch.fnmatchcase(key, p) for p in self.config.exclude):
                continue
            found.append({"schema": schema, "name": name, "key": key, "kind": KINDS[relkind],
                          "comment": comment or "", "rows": max(0, estimate), "columns": columns,
                          "primary_key": primary, "foreign_keys": foreign})  # fmt: skip
        return found

    def discover(self) -> list[EntityType]:
        """``table`` (each table and view is an entity of the catalog), and each table's rows as a type of their
        own (``schema.table``: its JSON Schema, primary key and foreign keys), which ``fetch`` reads by key."""
        found = [EntityType("table", "tables and views", None, ("key",))]
        for table in self.tables():
            relationships = tuple(
                ("references", f"{fk['schema']}.{fk['table']}") for fk in table["foreign_keys"]
            )
            found.append(EntityType(table["key"], table["comment"] or f"rows of {table['kind']} {table['key']}",
                                    json_schema(table), tuple(table["primary_key"]), relationships))  # fmt: skip
        return found

    def _change(self, table: dict) -> Change:
        primary = set(table["primary_key"])
        columns = [
            {
                "name": c["name"],
                "type": c["type"],
                "nullable": c["nullable"],
                "primary_key": c["name"] in primary,
            }
            | ({"description": c["comment"]} if c.get("comment") else {})
            for c in table["columns"]
        ]
        relationships = tuple(
            Relationship(
                "references",
                "table",
                table["key"],
                "table",
                f"{fk['schema']}.{fk['table']}",
                properties={
                    "constraint": fk["name"],
                    "columns": fk["columns"],
                    "references": fk["references"],
                },
            )  # fmt: skip
            for fk in table["foreign_keys"]
        )
        return Change(
            type="table", key=table["key"], name=table["name"], description=table["comment"],
            properties={"schema": table["schema"], "kind": table["kind"], "columns": columns,
                        "primary_key": table["primary_key"], "row_estimate": table["rows"]},
            owners=tuple(self.config.owners),
            schemas={"AVRO": json.dumps(avro_schema(table)), "JSON": json.dumps(json_schema(table))},
            relationships=relationships,
        )  # fmt: skip

    @staticmethod
    def _fingerprint(table: dict) -> str:
        shape = {k: table[k] for k in ("kind", "comment", "columns", "primary_key", "foreign_keys")}
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]

    def sync(self, *, checkpoint: dict | None = None, full: bool = False) -> Iterator[SyncBatch]:
        tables = self.tables()
        prints = {t["key"]: self._fingerprint(t) for t in tables}
        before = {} if full or not checkpoint else dict(checkpoint.get("tables", {}))
        changed = [t for t in tables if before.get(t["key"]) != prints[t["key"]]]
        gone = [key for key in before if key not in prints]
        changes = [self._change(t) for t in changed] + [
            Change(type="table", key=k, deleted=True) for k in gone
        ]
        if not changes:
            yield SyncBatch([], {"tables": prints}, total=0)
            return
        for start in range(0, len(changes), BATCH):
            done = start + BATCH >= len(changes)
            # the checkpoint moves only with the last batch: an interrupted sync redoes the rest, not less
            yield SyncBatch(
                changes[start : start + BATCH], {"tables": prints} if done else checkpoint, total=len(changes)
            )

    def _table(self, entity_type: str) -> dict:
        schema, _, name = entity_type.partition(".")
        for table in self.tables():
            if table["schema"] == schema and table["name"] == name:
                return table
        raise PermanentError(
            f"No table {entity_type!r} in this database (schemas {', '.join(self.config.schemas)})."
        )

    def fetch(self, entity_type: str, keys: list[str]) -> dict[str, dict | None]:
        """``table``: the live state of tables (``schema.table`` keys: rows, size, last changes), in one query.
        ``schema.table``: its rows by primary key (a single-column key), in one query."""
        from psycopg import sql

        if entity_type == "table":
            return self._table_states(keys)
        table = self._table(entity_type)
        if len(table["primary_key"]) != 1:
            raise PermanentError(f"{entity_type}: live fetch needs a single-column primary key.")
        pk = table["primary_key"][0]
        pk_type = next(c["type"] for c in table["columns"] if c["name"] == pk)
        found: dict[str, dict | None] = dict.fromkeys(keys)
        text = "SELECT t.{pk}::text, row_to_json(t) FROM {schema}.{table} t WHERE t.{pk} = ANY(%s::{type}[])"
        query = sql.SQL(text).format(
            pk=sql.Identifier(pk), schema=sql.Identifier(table["schema"]), table=sql.Identifier(table["name"]),
            type=sql.SQL(pk_type),
        )  # fmt: skip
        try:
            rows = self._query(query, (list(keys),))
        except PermanentError as exc:
            raise PermanentError(f"{entity_type}: {exc.message}") from exc
        for key, row in rows:
            found[key] = row
        return found

    def _table_states(self, keys: list[str]) -> dict[str, dict | None]:
        found: dict[str, dict | None] = dict.fromkeys(keys)
        rows = self._query(
            "SELECT n.nspname || '.' || c.relname, json_build_object("
            " 'rows_estimate', greatest(c.reltuples::bigint, 0), 'size_bytes', pg_total_relation_size(c.oid),"
            " 'inserted', s.n_tup_ins, 'updated', s.n_tup_upd, 'deleted', s.n_tup_del, 'live_rows', s.n_live_tup,"
            " 'last_analyzed', greatest(s.last_analyze, s.last_autoanalyze),"
            " 'last_vacuumed', greatest(s.last_vacuum, s.last_autovacuum))"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
            " WHERE n.nspname || '.' || c.relname = ANY(%s) AND n.nspname = ANY(%s)",
            (list(keys), list(self.config.schemas)),
        )
        for key, state in rows:
            found[key] = state
        return found

    def search(self, entity_type: str, query: str, *, limit: int = 20) -> list[dict]:
        """Rows of the table ``schema.table`` with a text column equal to ``query`` (case-insensitive): where a
        person's e-mail or phone number is, for data-subject requests. One query."""
        from psycopg import sql

        table = self._table(entity_type)
        texts = [c["name"] for c in table["columns"] if c["category"] == "S"]  # text, varchar, char…
        if not texts:
            return []
        matches = sql.SQL(" OR ").join(
            sql.SQL("lower(t.{}) = lower(%s)").format(sql.Identifier(c)) for c in texts
        )
        statement = sql.SQL("SELECT row_to_json(t) FROM {schema}.{table} t WHERE {matches} LIMIT %s").format(
            schema=sql.Identifier(table["schema"]), table=sql.Identifier(table["name"]), matches=matches
        )
        return [row for (row,) in self._query(statement, (*([query] * len(texts)), limit))]

    def sample(self, entity_type: str, *, limit: int = 100) -> list[dict]:
        from psycopg import sql

        table = self._table(entity_type)
        query = sql.SQL("SELECT row_to_json(t) FROM {schema}.{table} t LIMIT %s").format(
            schema=sql.Identifier(table["schema"]), table=sql.Identifier(table["name"])
        )
        return [row for (row,) in self._query(query, (limit,))]

    def _key_column(self, table: dict) -> tuple[str, str]:
        if len(table["primary_key"]) != 1:
            raise PermanentError(f"{table['key']}: records by key need a single-column primary key.")
        pk = table["primary_key"][0]
        return pk, next(c["type"] for c in table["columns"] if c["name"] == pk)

    def record_key(self, entity_type: str, record: dict) -> str | None:
        pk, _ = self._key_column(self._table(entity_type))
        value = record.get(pk) if isinstance(record, dict) else None
        return None if value is None else str(value)

    def related(self, entity_type: str, keys: list[str]) -> dict[str, list[str]]:
        """Rows of the other tables whose foreign keys point at these rows (one query per such table)."""
        from psycopg import sql

        target = self._table(entity_type)
        pk, pk_type = self._key_column(target)
        found: dict[str, list[str]] = {}
        for table in self.tables():
            if table["key"] == target["key"] or len(table["primary_key"]) != 1:
                continue
            for fk in table["foreign_keys"]:
                if (fk["schema"], fk["table"]) != (target["schema"], target["name"]) or fk["references"] != [
                    pk
                ]:
                    continue
                own_pk, _ = self._key_column(table)
                query = sql.SQL("SELECT t.{pk}::text FROM {schema}.{table} t WHERE t.{col} = ANY(%s::{type}[])").format(
                    pk=sql.Identifier(own_pk), schema=sql.Identifier(table["schema"]),
                    table=sql.Identifier(table["name"]), col=sql.Identifier(fk["columns"][0]), type=sql.SQL(pk_type),
                )  # fmt: skip
                rows = [k for (k,) in self._query(query, (list(keys),))]
                if rows:
                    found.setdefault(table["key"], []).extend(rows)
        return found

    def erase(self, entity_type: str, keys: list[str]) -> dict:
        """Delete or anonymize the rows by primary key as ``erasure.tables`` says, in one read-write
        transaction (the connection is read-only otherwise)."""
        import psycopg
        from psycopg import sql

        rule = self.config.erasure.tables.get(entity_type)
        if rule is None:
            raise PermanentError(
                f"{entity_type} is not configured for erasure (erasure.tables of this source)."
            )
        table = self._table(entity_type)
        pk, pk_type = self._key_column(table)
        columns = {c["name"] for c in table["columns"]}
        unknown = sorted(set(rule.set) - columns)
        if unknown:
            raise PermanentError(f"{entity_type}: erasure sets unknown columns {', '.join(unknown)}.")
        where = sql.SQL("{pk} = ANY(%s::{type}[])").format(pk=sql.Identifier(pk), type=sql.SQL(pk_type))
        name = sql.SQL("{}.{}").format(sql.Identifier(table["schema"]), sql.Identifier(table["name"]))
        if rule.mode == "delete":
            statement, params = sql.SQL("DELETE FROM {} WHERE {}").format(name, where), [list(keys)]
        else:
            assignments = sql.SQL(", ").join(
                sql.SQL("{} = %s").format(sql.Identifier(column)) for column in rule.set
            )
            statement = sql.SQL("UPDATE {} SET {} WHERE {}").format(name, assignments, where)
            params = [*rule.set.values(), list(keys)]
        connection = self._db()
        try:
            with connection.transaction():
                connection.execute("SET TRANSACTION READ WRITE")
                count = connection.execute(statement, params).rowcount
        except psycopg.OperationalError as exc:
            self.stop()
            raise RetryableError(f"The database connection failed: {str(exc).strip()[:300]}") from exc
        except psycopg.errors.QueryCanceled as exc:
            raise RetryableError(f"Erasure took longer than {self.config.statement_timeout_ms} ms") from exc
        except psycopg.Error as exc:
            raise PermanentError(f"The database refused the erasure: {str(exc).strip()[:300]}") from exc
        return {"action": "deleted" if rule.mode == "delete" else "anonymized", "records": count,
                "columns": sorted(rule.set) if rule.mode == "anonymize" else []}  # fmt: skip
