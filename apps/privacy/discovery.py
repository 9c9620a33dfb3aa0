"""Discovery: the places holding a data subject's records. The catalog's fields classified as the
identifiers' PII categories (copies along lineage included) name the tables and types to search; every source
whose adapter can search is searched; foreign keys lead to the rows pointing at the subject's; topics keyed by
an identifier are listed. Places no adapter can act on are listed too, for the steward to handle by hand."""

from __future__ import annotations

from apps.adapters import public as adapters
from apps.governance import public as governance
from dictamesh.errors import DictaMeshError

CATEGORY_OF = {"email": "email", "phone": "phone"}  # identifier → PII category of the fields that hold it
MANUAL = "manual"


def _entity_type(urn: str) -> tuple[str, str, str] | None:
    parts = urn.split(":", 3)
    if len(parts) != 4 or parts[0] != "dm":
        return None
    _, source, kind, key = parts
    return source, kind, key


def _place_urn(source: dict | None, name: str, entity_type: str) -> str:
    kind = source["kind"] if source else ""
    if kind == "postgresql":
        return f"dm:{name}:table:{entity_type}"
    if kind == "kafka":
        return f"dm:{name}:topic:{entity_type}"
    return f"dm:{name}:{entity_type}:*"


def _action(kind: str, capabilities: list[str], exporting: bool) -> str:
    if exporting:
        return "export" if kind in ("postgresql", "rest") else MANUAL
    return "erase" if "erase" in capabilities else MANUAL


def discover(*, values: dict[str, list[str]], exporting: bool, confirming: bool) -> tuple[list[dict], dict]:
    """(places, {place id: record keys}): the keys are the subject's data, sealed apart from the plan."""
    sources = {s["name"]: s for s in adapters.subject_sources()}
    categories = sorted({CATEGORY_OF[t] for t in values if t in CATEGORY_OF})
    classified = governance.pii_fields(categories=categories) if categories else []
    targets: dict[str, set[str]] = {name: set(s["searchable"]) for name, s in sources.items()}
    fields: dict[tuple[str, str], list[str]] = {}
    vias: dict[tuple[str, str], str] = {}
    unsearchable: dict[tuple[str, str], dict] = {}
    for item in classified:
        parsed = _entity_type(item["urn"])
        if parsed is None:
            continue
        name, kind, key = parsed
        entity_type = key if kind in ("table", "topic") else kind
        fields.setdefault((name, entity_type), []).append(item["path"])
        if item["via"] == "lineage":
            vias[(name, entity_type)] = f"lineage from {item['origin']}"
        source = sources.get(name)
        if source is not None and "search" in source["capabilities"] and kind != "topic":
            targets[name].add(entity_type)
        else:
            unsearchable[(name, entity_type)] = {
                "urn": item["urn"],
                "kind": source["kind"] if source else "none",
            }
    places: list[dict] = []
    keys: dict[str, list[str]] = {}
    for name in sorted(sources):
        source = sources[name]
        wants_topics = source["kind"] == "kafka" and "erase" in source["capabilities"]
        if not targets[name] and not wants_topics:
            continue
        try:
            found = adapters.subject_find(name=name, identifiers=values, entity_types=sorted(targets[name]))
        except DictaMeshError as exc:
            places.append(_place(len(places), source, name, "*", 0, [], "search", [], MANUAL,
                                 problem=f"the source did not answer: {exc.message}"))  # fmt: skip
            continue
        for item in found:
            entity_type = item["entity_type"]
            action = "confirm" if confirming else _action(source["kind"], source["capabilities"], exporting)
            problem = ""
            if action == MANUAL and source["kind"] == "kafka":
                problem = "its messages are not exported: read them from the topic by these keys"
            elif action == MANUAL:
                problem = (
                    f"a {source['kind']} source's adapter cannot {'fetch' if exporting else 'erase'} them"
                )
            place = _place(len(places), source, name, entity_type, len(item["keys"]), item["matched"],
                           vias.get((name, entity_type), item["via"]), fields.get((name, entity_type), []),
                           action, problem=problem)  # fmt: skip
            places.append(place)
            keys[place["id"]] = item["keys"]
    for (name, entity_type), info in sorted(unsearchable.items()):
        places.append(_place(len(places), sources.get(name), name, entity_type, 0, [], "classification",
                             fields.get((name, entity_type), []), MANUAL, urn=info["urn"],
                             problem="no adapter here can search it: check it by hand"))  # fmt: skip
    # erasure order: what points at a record goes before it (a foreign key found it)
    places.sort(key=lambda p: (p["via"] != "foreign key", int(p["id"][1:])))
    return places, keys


def _place(index: int, source: dict | None, name: str, entity_type: str, records: int, matched: list[str],
           via: str, paths: list[str], action: str, *, urn: str = "", problem: str = "") -> dict:  # fmt: skip
    urn = urn or _place_urn(source, name, entity_type)
    domain = source["domain"] if source else ""
    held = governance.legal_hold_on(urn=urn, domain=domain) if action in ("erase", "confirm") else None
    return {
        "id": f"p{index + 1}", "source": name, "kind": source["kind"] if source else "none",
        "entity_type": entity_type, "urn": urn, "records": records, "matched": matched, "via": via,
        "fields": sorted(set(paths)), "owners": source["owners"] if source else [], "domain": domain,
        "action": action, "held_by": held or "", "problem": problem,
    }  # fmt: skip
