"""A request's export: every place's records as JSON and CSV, a manifest, zipped, sealed, downloadable once
through a signed link that expires (DICTAMESH_DSR_EXPORT_HOURS)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from dictamesh.errors import NotFound, PermissionDenied
from dictamesh.events import publish

from . import events
from .models import SubjectExport, SubjectRequest
from .sealing import seal, unseal

SALT = "dictamesh.privacy.export"


def _csv(records: list[dict]) -> str:
    columns = list(dict.fromkeys(key for record in records for key in record))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in record.items()})
    return out.getvalue()


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "records"


def export_build(*, req: SubjectRequest, parts: list[tuple[dict, list[dict]]]) -> SubjectExport:
    """``parts``: (place, its records). The zip holds ``<source>/<type>.json`` and ``.csv`` and manifest.json."""
    buffer = io.BytesIO()
    files = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for place, records in parts:
            base = f"{_safe(place['source'])}/{_safe(place['entity_type'])}"
            for name, text in ((f"{base}.json", json.dumps(records, indent=2, default=str)),
                               (f"{base}.csv", _csv(records))):  # fmt: skip
                data = text.encode()
                archive.writestr(name, data)
                files.append({"name": name, "source": place["source"], "entity_type": place["entity_type"],
                              "records": len(records), "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
        manifest = {
            "request": req.reference, "kind": req.kind, "jurisdiction": req.jurisdiction,
            "generated_at": timezone.now().isoformat(), "subject": [i["hint"] for i in req.identifiers],
            "files": files,
            "not_included": [{"source": p["source"], "entity_type": p["entity_type"], "why": p["problem"] or
                              "this source's adapter cannot fetch records"}
                             for p in req.plan if p["action"] == "manual"],
        }  # fmt: skip
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    data = buffer.getvalue()
    export = SubjectExport.objects.create(
        request=req, sealed=seal(data), sha256=hashlib.sha256(data).hexdigest(), size=len(data), files=files,
        token_hash=secrets.token_hex(16),
        expires_at=timezone.now() + timedelta(hours=settings.DICTAMESH_DSR_EXPORT_HOURS),
    )  # fmt: skip
    from .services import _event

    _event(req, events.EXPORTED, actor="system:dsr", export=export.pk, files=len(files), size=len(data),
           sha256=export.sha256, expires_at=export.expires_at.isoformat())  # fmt: skip
    return export


def export_state(export: SubjectExport | None) -> dict | None:
    if export is None:
        return None
    now = timezone.now()
    usable = export.downloaded_at is None and export.expires_at > now
    state = {"id": export.pk, "size": export.size, "sha256": export.sha256, "files": export.files,
             "created_at": export.created_at, "expires_at": export.expires_at,
             "downloaded_at": export.downloaded_at, "downloaded_by": export.downloaded_by}  # fmt: skip
    if usable:
        token = signing.dumps({"e": export.pk, "n": export.token_hash}, salt=SALT, compress=True)
        state["download_url"] = f"/api/v1/privacy/exports/download?token={token}"
    return state


def export_download(*, token: str, who: str) -> tuple[bytes, str]:
    """The zip, once: the link is signed, expires, and is spent by its first use (audited)."""
    refused = PermissionDenied("This download link is not valid, has expired, or was used.")
    try:
        claim = signing.loads(token, salt=SALT, max_age=settings.DICTAMESH_DSR_EXPORT_HOURS * 3600)
    except signing.BadSignature:
        raise refused from None
    if not isinstance(claim, dict) or not isinstance(claim.get("e"), int):
        raise refused
    with transaction.atomic():
        export = (
            SubjectExport.objects.select_for_update().select_related("request").filter(pk=claim["e"]).first()
        )
        if export is None:
            raise NotFound("No such export.")
        if (
            export.token_hash != claim.get("n")
            or export.downloaded_at is not None
            or export.expires_at <= timezone.now()
        ):
            raise refused
        data = unseal(export.sealed)
        export.downloaded_at, export.downloaded_by, export.sealed = timezone.now(), who[:200], b""
        export.save(update_fields=["downloaded_at", "downloaded_by", "sealed"])  # spent: nothing kept
        req = export.request
        publish(type=events.DOWNLOADED, subject=f"dsr:{req.reference}", key=req.reference,
                data={"reference": req.reference, "export": export.pk, "by": who[:200], "sha256": export.sha256,
                      "owners": [f"user:{req.assignee}"] if req.assignee else []},
                topic=events.DSR_TOPIC.name, actor=who[:200])  # fmt: skip
    return data, f"{req.reference}-export.zip"
