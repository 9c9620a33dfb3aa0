"""Adapters for data-subject requests: which sources can find, fetch and erase a person's records, and doing
it. The privacy app calls these through public.py; each call starts the instance's adapter and stops it."""

from __future__ import annotations

import logging

from dictamesh.adapters import registry as adapter_registry
from dictamesh.adapters.errors import AdapterError

from .models import AdapterInstance
from .services import SourceUnavailable, _instance

logger = logging.getLogger("dictamesh.adapters")
SEARCHED = ("email", "phone", "customer_id", "account_id")  # identifiers a source's search is asked for
MAX_RECORDS = 500  # of one entity type per subject: more is a wrong match, not one person


def subject_sources() -> list[dict]:
    """Enabled instances and what they can do for a request: ``{name, kind, domain, owners, capabilities,
    searchable}`` (``searchable``: the entity types its search covers without being told)."""
    found = []
    for row in AdapterInstance.objects.filter(enabled=True).order_by("name"):
        try:
            cls = adapter_registry.get(row.kind)
        except Exception:  # noqa: BLE001 - an instance of a plugin no longer installed: not a place
            logger.warning("adapter instance %s: its kind %s is not installed", row.name, row.kind)
            continue
        searchable = []
        if row.kind == "rest":
            searchable = [r["type"] for r in row.config.get("resources", []) if r.get("search_param")]
        owners = [*row.owners, *row.config.get("owners", [])]
        owners += [o for r in row.config.get("resources", []) for o in r.get("owners", [])]
        found.append({"name": row.name, "kind": row.kind, "domain": row.domain, "owners": list(dict.fromkeys(owners)),
                      "capabilities": cls.capabilities(), "searchable": searchable})  # fmt: skip
    return found


def _adapter(name: str):
    row = _instance(name)
    return row, adapter_registry.create(row.kind, row.config, instance=row.name)


def subject_find(*, name: str, identifiers: dict[str, list[str]], entity_types: list[str]) -> list[dict]:
    """Where the source ``name`` holds the subject's records: ``[{entity_type, keys, matched, via}]`` — its
    search for each identifier in each entity type, the records of other types pointing at those (foreign
    keys), and the topics keyed by one of the identifiers. SourceUnavailable when it cannot answer."""
    row, adapter = _adapter(name)
    places: dict[str, dict] = {}

    def add(entity_type: str, keys: list[str], matched: str, via: str) -> None:
        place = places.setdefault(
            entity_type, {"entity_type": entity_type, "keys": [], "matched": [], "via": via}
        )
        place["keys"] = list(dict.fromkeys([*place["keys"], *keys]))[:MAX_RECORDS]
        if matched not in place["matched"]:
            place["matched"].append(matched)

    try:
        with adapter:
            capabilities = adapter.capabilities()
            if "search" in capabilities:
                for entity_type in entity_types:
                    for kind in SEARCHED:
                        for value in identifiers.get(kind, []):
                            records = adapter.search(entity_type, value, limit=MAX_RECORDS)
                            keys = [k for k in (adapter.record_key(entity_type, r) for r in records) if k]
                            if keys:
                                add(entity_type, keys, kind, "search")
                for entity_type, place in list(places.items()):
                    for other, keys in adapter.related(entity_type, place["keys"]).items():
                        add(other, keys, f"foreign key to {entity_type}", "foreign key")
            if hasattr(adapter, "subject_topics") and "erase" in capabilities:
                for topic, kind in adapter.subject_topics(list(identifiers)).items():
                    add(topic, identifiers.get(kind, []), kind, "message key")
    except AdapterError as exc:
        raise SourceUnavailable(f"{name}: {exc.message}") from exc
    return list(places.values())


def subject_records(*, name: str, entity_type: str, keys: list[str]) -> list[dict]:
    """The records by key, live from the source (the ones it no longer has left out)."""
    _, adapter = _adapter(name)
    with adapter:
        return [record for record in adapter.fetch(entity_type, list(keys)).values() if record is not None]


def subject_erase(*, name: str, entity_type: str, keys: list[str]) -> dict:
    """Erase the records by key as the source's configuration says: what was done. AdapterError (retryable
    or not) when it could not."""
    _, adapter = _adapter(name)
    with adapter:
        if "erase" not in adapter.capabilities():
            from dictamesh.adapters.errors import PermanentError

            raise PermanentError(f"{name}: a {adapter.kind} source cannot erase records.")
        return adapter.erase(entity_type, list(keys))
