"""PII detection: by field names and by sampled values, each suggestion with a confidence.

Names: the words of a field's path (``customer.emailAddress`` → ``customer email address``) against the
words each category is known by. Values: validators that check what a value is, not only its shape —
phonenumbers (Google's libphonenumber) for phone numbers, python-stdnum for IBAN check digits and national
ids, the Luhn check for card numbers, ``ipaddress`` for IP addresses. A field's value confidence is the share
of its non-empty samples that pass; a field suggested by both its name and its values gets the higher.
Suggestions wait for a steward (admin, or POST /api/v1/governance/fields/{id}/confirm).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import phonenumbers
from stdnum import iban, luhn
from stdnum.br import cpf
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.us import ssn

from .decisions import CLASSIFICATIONS

MIN_VALUE_SHARE = 0.6  # at least this share of a field's non-empty samples must pass
MAX_SAMPLES = 1000
MAX_FIELDS = 500
MAX_DEPTH = 5


@dataclass(frozen=True)
class Suggestion:
    path: str
    category: str
    classification: str
    confidence: float
    detector: str  # name or value
    evidence: str


# ---------------------------------------------------------------------------------------------- names
# (category, classification, confidence, words that must all appear in the path)
NAME_RULES: list[tuple[str, str, float, tuple[str, ...]]] = [
    ("email", "confidential", 0.9, ("email",)),
    ("email", "confidential", 0.9, ("e", "mail")),
    ("email", "confidential", 0.7, ("mail",)),
    ("phone", "confidential", 0.9, ("phone",)),
    ("phone", "confidential", 0.9, ("mobile",)),
    ("phone", "confidential", 0.8, ("telephone",)),
    ("phone", "confidential", 0.8, ("msisdn",)),
    ("phone", "confidential", 0.6, ("tel",)),
    ("person_name", "confidential", 0.9, ("first", "name")),
    ("person_name", "confidential", 0.9, ("last", "name")),
    ("person_name", "confidential", 0.9, ("full", "name")),
    ("person_name", "confidential", 0.9, ("given", "name")),
    ("person_name", "confidential", 0.9, ("surname",)),
    ("person_name", "confidential", 0.8, ("family", "name")),
    ("postal_address", "confidential", 0.8, ("address",)),
    ("postal_address", "confidential", 0.8, ("street",)),
    ("postal_address", "confidential", 0.7, ("postcode",)),
    ("postal_address", "confidential", 0.7, ("zip", "code")),
    ("postal_address", "confidential", 0.6, ("zipcode",)),
    ("date_of_birth", "confidential", 0.9, ("birth",)),
    ("date_of_birth", "confidential", 0.9, ("dob",)),
    ("date_of_birth", "confidential", 0.8, ("birthday",)),
    ("national_id", "restricted", 0.9, ("ssn",)),
    ("national_id", "restricted", 0.9, ("social", "security")),
    ("national_id", "restricted", 0.9, ("national", "id")),
    ("national_id", "restricted", 0.8, ("nino",)),
    ("credit_card", "restricted", 0.9, ("card", "number")),
    ("credit_card", "restricted", 0.9, ("credit", "card")),
    ("credit_card", "restricted", 0.8, ("pan",)),
    ("credit_card", "restricted", 0.7, ("cc", "number")),
    ("iban", "restricted", 0.95, ("iban",)),
    ("bank_account", "restricted", 0.8, ("account", "number")),
    ("bank_account", "restricted", 0.8, ("bank", "account")),
    ("bank_account", "restricted", 0.7, ("routing", "number")),
    ("ip_address", "confidential", 0.8, ("ip",)),
    ("ip_address", "confidential", 0.8, ("ip", "address")),
    ("passport", "restricted", 0.9, ("passport",)),
    ("tax_id", "restricted", 0.8, ("tax", "id")),
    ("tax_id", "restricted", 0.7, ("tin",)),
    ("tax_id", "restricted", 0.6, ("vat", "number")),
    ("gender", "confidential", 0.8, ("gender",)),
    ("gender", "confidential", 0.6, ("sex",)),
    ("ethnicity", "restricted", 0.9, ("ethnicity",)),
    ("ethnicity", "restricted", 0.8, ("race",)),
    ("health", "restricted", 0.8, ("diagnosis",)),
    ("health", "restricted", 0.8, ("medical",)),
    ("geolocation", "confidential", 0.8, ("latitude",)),
    ("geolocation", "confidential", 0.8, ("longitude",)),
    ("geolocation", "confidential", 0.7, ("geo", "location")),
    ("username", "confidential", 0.7, ("username",)),
    ("username", "confidential", 0.7, ("user", "name")),
    ("username", "confidential", 0.6, ("login",)),
    ("password", "restricted", 0.95, ("password",)),
    ("password", "restricted", 0.9, ("passwd",)),
    ("device_id", "confidential", 0.8, ("device", "id")),
    ("device_id", "confidential", 0.8, ("imei",)),
]
NOT_WITH = {
    ("address",): {"email", "mail", "ip", "mac", "web", "url", "wallet"}
}  # an e-mail address is no postal one
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words_of(path: str) -> list[str]:
    """``customer.emailAddress_2`` → ``["customer", "email", "address", "2"]``."""
    spaced = _CAMEL.sub(" ", path)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def by_name(path: str) -> list[Suggestion]:
    words = words_of(path.rsplit(".", 1)[-1]) or words_of(path)
    best: dict[str, Suggestion] = {}
    for category, level, confidence, needed in NAME_RULES:
        if all(w in words for w in needed) and not (set(words) & NOT_WITH.get(needed, set())):
            current = best.get(category)
            if current is None or confidence > current.confidence:
                best[category] = Suggestion(
                    path, category, level, confidence, "name", f"the field is named {path!r}"
                )
    return list(best.values())


# ---------------------------------------------------------------------------------------------- values
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_CARD_PREFIX = re.compile(r"^(4|5[1-5]|2[2-7]|3[47]|6(011|5)|3(0[0-5]|[68])|35)")
_DIGITS = re.compile(r"\D")


def _email(text: str) -> bool:
    return len(text) <= 254 and bool(_EMAIL.match(text))


def _phone(text: str) -> bool:
    if sum(ch.isdigit() for ch in text) < 7 or re.search(r"[A-Za-z]", text):
        return False
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _card(text: str) -> bool:
    digits = _DIGITS.sub("", text)
    if not 13 <= len(digits) <= 19 or re.search(r"[^\d\s-]", text):
        return False
    return bool(_CARD_PREFIX.match(digits)) and luhn.is_valid(digits)


def _iban(text: str) -> bool:
    return 15 <= len(text.replace(" ", "")) <= 34 and iban.is_valid(text)


def _national_id(text: str) -> bool:
    compact = text.replace(" ", "").replace("-", "").replace(".", "")
    if re.fullmatch(r"\d{3}-\d{2}-\d{4}", text):
        return ssn.is_valid(text)
    if re.fullmatch(r"\d{3}\.\d{3}\.\d{3}-\d{2}", text):
        return cpf.is_valid(text)
    if re.fullmatch(r"[12]\d{14}", compact) and " " in text:
        return nir.is_valid(text)
    if re.fullmatch(r"[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]", text.upper()):
        return codicefiscale.is_valid(text)
    if re.fullmatch(r"\d{8}[A-Z]", text.upper()):
        return dni.is_valid(text)
    return False


def _ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return "." in text or ":" in text


def _birth_date(value: Any) -> bool:
    if isinstance(value, datetime):
        return False
    if isinstance(value, date):
        when = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            when = date.fromisoformat(value)
        except ValueError:
            return False
    else:
        return False
    age = (date.today() - when).days / 365.25
    return 0 < age < 120


# (category, classification, check) in order: a value counts once, for the first that passes
VALUE_CHECKS = [
    ("email", "confidential", _email),
    ("iban", "restricted", _iban),
    ("credit_card", "restricted", _card),
    ("national_id", "restricted", _national_id),
    ("ip_address", "confidential", _ip),
    ("phone", "confidential", _phone),
]


def category_of(value: Any) -> str | None:
    """The PII category a single value certainly is, or None."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip() if isinstance(value, str | int) else None
    if not text or len(text) > 300:
        return None
    for category, _, check in VALUE_CHECKS:
        if check(text):
            return category
    return None


def _leaves(value: Any, prefix: str, out: dict[str, list], depth: int = 0) -> None:
    if depth > MAX_DEPTH or len(out) > MAX_FIELDS:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "#" not in key and key.strip():
                _leaves(item, f"{prefix}.{key}" if prefix else key, out, depth + 1)
    elif isinstance(value, list):
        for item in value[:50]:
            _leaves(item, prefix, out, depth + 1)
    elif prefix:
        out.setdefault(prefix, []).append(value)


def by_values(rows: Iterable[dict]) -> list[Suggestion]:
    """Suggestions from sample rows (dicts; nested objects give dotted paths, lists apply to each item)."""
    columns: dict[str, list] = {}
    for count, row in enumerate(rows):
        if count >= MAX_SAMPLES:
            break
        if isinstance(row, dict):
            _leaves(row, "", columns)
    found = []
    for path, values in sorted(columns.items()):
        present = [v for v in values if v not in (None, "")]
        if not present:
            continue
        counts: dict[str, int] = {}
        for value in present:
            category = category_of(value)
            if category:
                counts[category] = counts.get(category, 0) + 1
        births = sum(1 for v in present if _birth_date(v))
        if births and any(w in words_of(path) for w in ("birth", "dob", "born", "birthday")):
            counts["date_of_birth"] = births  # a date is a birth date only when the name says so
        for category, hits in counts.items():
            share = hits / len(present)
            if share >= MIN_VALUE_SHARE:
                level = next((lvl for cat, lvl, _ in VALUE_CHECKS if cat == category), "confidential")
                found.append(
                    Suggestion(
                        path,
                        category,
                        level,
                        round(share, 3),
                        "value",
                        f"{hits} of {len(present)} sampled values are {category.replace('_', ' ')}",
                    )
                )
    return found


def detect(rows: list[dict]) -> list[Suggestion]:
    """One suggestion per field and category, however many detectors agree: when the name and the values
    both point at a category, the suggestion says so (detector ``name+value``), its confidence is the
    chance that not both are wrong, and its evidence holds both reasons. A steward confirms it once."""
    columns: dict[str, list] = {}
    for row in rows[:MAX_SAMPLES]:
        if isinstance(row, dict):
            _leaves(row, "", columns)
    merged: dict[tuple[str, str], Suggestion] = {}
    for found in [s for path in sorted(columns) for s in by_name(path)] + by_values(rows):
        key = (found.path, found.category)
        seen = merged.get(key)
        merged[key] = found if seen is None else _agree(seen, found)
    return list(merged.values())


def _agree(one: Suggestion, other: Suggestion) -> Suggestion:
    level = max(
        (one.classification, other.classification),
        key=lambda c: CLASSIFICATIONS.index(c) if c in CLASSIFICATIONS else 0,
    )
    return Suggestion(
        one.path,
        one.category,
        level,
        round(1 - (1 - one.confidence) * (1 - other.confidence), 3),
        "+".join(sorted({*one.detector.split("+"), *other.detector.split("+")})),
        f"{one.evidence}; {other.evidence}",
    )
