"""REST: GET /api/v1/events (filters, cursor pagination) and GET /api/v1/events/{id}."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema

from dictamesh.errors import NotFound

from . import selectors

router = Router(tags=["events"])


class EventOut(Schema):
    id: str
    type: str
    source: str
    subject: str
    topic: str
    time: datetime
    actor: str | None
    trace_id: str | None
    data: Any
    before: Any
    after: Any


class EventPageOut(Schema):
    items: list[EventOut]
    next_cursor: str | None


class EventFilters(Schema):
    subject: str | None = None
    type: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = 50


@router.get("", response=EventPageOut, summary="The event log, newest first")
def event_list(request, filters: Query[EventFilters]):
    page = selectors.event_log_list(**filters.dict())
    rows = selectors.event_log_guarded(request, page.items)
    return {"items": [selectors.event_log_dict(row) for row in rows], "next_cursor": page.next_cursor}


@router.get("/{event_id}", response=EventOut, summary="One event of the log")
def event_detail(request, event_id: str):
    shown = selectors.event_log_guarded(request, [selectors.event_log_get(event_id=event_id)])
    if not shown:
        raise NotFound(f"No event with id {event_id}.")
    return selectors.event_log_dict(shown[0])
