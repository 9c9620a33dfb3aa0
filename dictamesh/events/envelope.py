"""The event envelope: CloudEvents 1.0 attributes, carried over Kafka in the binary content mode.

Kafka binding (CloudEvents Kafka protocol binding, binary mode): the record value is the event ``data``
(JSON, or Avro in the Confluent wire format), the attributes travel as headers ``ce_<attribute>``, and
``content-type`` names the data's media type. The record key is the subject's stable id, so the events of
one entity land on one partition, in order. Consumers also accept the structured mode (the whole event as
one ``application/cloudevents+json`` value).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

SPECVERSION = "1.0"
JSON = "application/json"
AVRO = "application/avro"
STRUCTURED = "application/cloudevents+json"
_ATTRIBUTES = ("id", "type", "source", "subject", "time", "dataschema", "traceparent", "actor")


class EnvelopeError(ValueError):
    """A record that is not a DictaMesh event (missing attributes, undecodable data)."""


@dataclass(frozen=True)
class Event:
    type: str
    source: str
    subject: str
    data: Any
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = JSON
    dataschema: str | None = None
    traceparent: str | None = None
    actor: str | None = None
    specversion: str = SPECVERSION

    def with_data(self, data: Any) -> Event:
        return replace(self, data=data)

    def as_dict(self) -> dict[str, Any]:
        """The structured (JSON) form: what the REST API, GraphQL and the inspector show."""
        body = {
            "specversion": self.specversion,
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": self.time.isoformat(),
            "datacontenttype": self.datacontenttype,
            "data": self.data,
        }
        for name in ("dataschema", "traceparent", "actor"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers of the binary content mode."""
        headers = [("ce_specversion", self.specversion.encode())]
        for name in _ATTRIBUTES:
            value = getattr(self, name)
            if value is None:
                continue
            text = value.isoformat() if isinstance(value, datetime) else str(value)
            headers.append((f"ce_{name}", text.encode()))
        headers.append(("content-type", self.datacontenttype.encode()))
        return headers


def parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EnvelopeError(f"time {text!r} is not RFC 3339") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def from_attributes(attributes: dict[str, Any], data: Any, content_type: str) -> Event:
    missing = [name for name in ("id", "type", "source") if not attributes.get(name)]
    if missing:
        raise EnvelopeError(f"missing CloudEvents attribute(s): {', '.join(missing)}")
    return Event(
        id=str(attributes["id"]),
        type=str(attributes["type"]),
        source=str(attributes["source"]),
        subject=str(attributes.get("subject") or ""),
        time=parse_time(str(attributes["time"])) if attributes.get("time") else datetime.now(UTC),
        data=data,
        datacontenttype=content_type,
        dataschema=attributes.get("dataschema"),
        traceparent=attributes.get("traceparent"),
        actor=attributes.get("actor"),
        specversion=str(attributes.get("specversion") or SPECVERSION),
    )


def header_dict(headers: list[tuple[str, bytes | None]] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in headers or []:
        if value is None:
            continue
        try:
            result[key] = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EnvelopeError(f"header {key!r} is not UTF-8") from exc
    return result


def structured(value: bytes) -> Event:
    try:
        body = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"structured event is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise EnvelopeError("structured event is not a JSON object")
    return from_attributes(body, body.get("data"), str(body.get("datacontenttype") or JSON))
