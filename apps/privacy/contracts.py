"""Inputs and outputs of data-subject requests."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from dictamesh.contracts import Contract, hinted, text

IDENTIFIER_TYPES = ("email", "phone", "customer_id", "account_id")
KINDS = (
    "access",
    "erasure",
    "rectification",
    "restriction",
    "portability",
    "know",
    "delete",
    "opt_out_of_sale",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{5,30}$")


class RequestIn(Contract):
    """A data-subject request as received (the identifiers are kept hashed, and in clear only encrypted while
    the request is open)"""

    what: ClassVar[str] = "data-subject request"
    kind: Literal[KINDS] = hinted(", ".join(KINDS), ...)  # type: ignore[valid-type]
    jurisdiction: Literal["gdpr", "ccpa"] | None = hinted(
        "gdpr or ccpa (default: ccpa for know, delete and opt_out_of_sale, else gdpr)"
    )
    identifiers: dict[str, list[str]] = hinted(
        "{email|phone|customer_id|account_id: [values]}: at least one, at most 10 values each", ...
    )
    assignee: str = Field(
        "", max_length=150, json_schema_extra={"x-hint": "the user name of the steward who works it"}
    )
    note: str = Field("", max_length=2000, json_schema_extra={"x-hint": "at most 2000 characters"})
    received_at: datetime | None = hinted("an ISO 8601 date-time (default: now)", strict=False)

    @field_validator("identifiers", mode="before")
    @classmethod
    def _identifiers(cls, value: Any) -> dict[str, list[str]]:
        hint = "{email|phone|customer_id|account_id: [values]}: at least one, at most 10 values each"
        if not isinstance(value, dict) or not value:
            raise ValueError(hint)
        out: dict[str, list[str]] = {}
        for kind, given in value.items():
            values = [given] if isinstance(given, str | int) else given
            if kind not in IDENTIFIER_TYPES or not isinstance(values, list) or not 1 <= len(values) <= 10:
                raise ValueError(hint)
            clean = []
            for raw in values:
                if not isinstance(raw, str | int) or not str(raw).strip() or len(str(raw)) > 200:
                    raise ValueError(hint)
                item = str(raw).strip()
                if kind == "email" and not EMAIL.match(item):
                    raise ValueError(f"{item[:3]}… is not an e-mail address")
                if kind == "phone" and not PHONE.match(item):
                    raise ValueError("a phone number: digits, spaces, + . ( ) -")
                clean.append(item.lower() if kind == "email" else item)
            out[kind] = list(dict.fromkeys(clean))
        return out


class VerifyIn(Contract):
    """The outcome of checking the requester's identity"""

    what: ClassVar[str] = "verification"
    verified: bool = hinted("true or false", ...)
    method: text(200) = hinted("how it was checked (signed-in account, ID document, …)", ...)


class ExtendIn(Contract):
    """A longer deadline (GDPR: by up to two more months; CCPA: by up to 45 more days), with its reason"""

    what: ClassVar[str] = "extension"
    days: int = Field(..., ge=1, le=62, json_schema_extra={"x-hint": "1 to 62 days"})
    reason: text(2000) = hinted("why (told to the subject), required", ...)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("why (told to the subject), required")
        return value


class ReasonIn(Contract):
    """Why (recorded in the event log)"""

    what: ClassVar[str] = "reason"
    reason: text(2000) = hinted("required, at most 2000 characters", ...)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("required, at most 2000 characters")
        return value


class AssignIn(Contract):
    what: ClassVar[str] = "assignment"
    assignee: text(150) = hinted("a user name", ...)


class Place(BaseModel):
    """Where the subject's records are: one entity type of one source"""

    id: str
    source: str
    kind: str = Field(description="the adapter: postgresql, rest, kafka, or none")
    entity_type: str
    urn: str = Field(description="the catalog entity (a table, a topic) or the URN pattern of its records")
    records: int
    matched: list[str] = Field(description="the identifiers that found them, or how they were reached")
    via: str = Field(description="search, classification, foreign key, lineage, message key")
    fields: list[str] = Field(description="its fields classified as the subject's identifiers")
    owners: list[str]
    domain: str = ""
    action: str = Field(description="export, erase, confirm, manual (DictaMesh cannot act on it), none")
    held_by: str = Field("", description="the legal hold that keeps it from erasure")
    problem: str = ""


class Request(BaseModel):
    """A data-subject request (its identifiers only as masked hints)"""

    reference: str
    kind: str
    jurisdiction: str
    state: str
    identifiers: list[dict]
    assignee: str
    verification: str
    verification_note: str
    received_at: datetime
    due_at: datetime
    deadline: datetime
    extended_by_days: int
    extension_reason: str
    days_left: float
    plan: list[Place]
    approved_by: str
    saga: dict | None
    outcome: list[dict]
    export: dict | None
    note: str
    closed_at: datetime | None


class Requests(BaseModel):
    items: list[Request]


class ConfirmIn(Contract):
    """A place's owner confirms its part is done"""

    what: ClassVar[str] = "confirmation"
    note: str = Field("", max_length=2000, json_schema_extra={"x-hint": "at most 2000 characters"})


class Certificate(BaseModel):
    """A completion certificate: each place and what was done (format=text: the same as plain text)"""

    certificate: str
    reference: str
    kind: str
    jurisdiction: str
    subject: list[str]
    received_at: datetime
    deadline: datetime
    closed_at: datetime | None
    on_time: bool
    state: str
    verified: dict
    approved_by: str
    steward: str
    extension: dict | None
    places: list[dict]
    held: list[dict]


class Register(BaseModel):
    """The register of requests for a regulator (format=csv: its items as CSV)"""

    generated_at: datetime
    requests: int
    closed: int
    open: int
    by_kind: dict[str, dict[str, int]]
    median_days_to_close: float | None
    on_time_share: float | None
    overdue_open: int
    erasures_completed: int
    items: list[dict]


class Confirmed(BaseModel):
    """A place's confirmation, as its owner sees it"""

    reference: str
    place: str
    confirmed: bool
