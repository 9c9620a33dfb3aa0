"""GraphQL: ``events(...)`` (filters, cursor) and ``event(id)`` over the immutable event log."""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar

from . import selectors


class EventType(graphene.ObjectType):
    id = graphene.ID(required=True)
    type = graphene.String(required=True)
    source = graphene.String(required=True)
    subject = graphene.String(required=True)
    topic = graphene.String(required=True)
    time = graphene.DateTime(required=True)
    actor = graphene.String()
    trace_id = graphene.String()
    data = GenericScalar()
    before = GenericScalar()
    after = GenericScalar()

    @staticmethod
    def resolve_id(row, info):
        return str(row.event_id)

    @staticmethod
    def resolve_actor(row, info):
        return row.actor or None

    @staticmethod
    def resolve_trace_id(row, info):
        return row.trace_id or None


class EventPageType(graphene.ObjectType):
    items = graphene.List(graphene.NonNull(EventType), required=True)
    next_cursor = graphene.String()


class EventsQuery:
    events = graphene.Field(
        EventPageType,
        required=True,
        subject=graphene.String(),
        type=graphene.String(description="exact, or a prefix ending in *"),
        actor=graphene.String(),
        since=graphene.DateTime(),
        until=graphene.DateTime(),
        after=graphene.String(description="next_cursor of the previous page"),
        first=graphene.Int(default_value=50),
        description="The immutable event log, newest first.",
    )
    event = graphene.Field(EventType, id=graphene.ID(required=True))

    @staticmethod
    def resolve_events(root, info, first=50, after=None, **filters):
        page = selectors.event_log_list(cursor=after, limit=50 if first is None else first, **filters)
        items = selectors.event_log_guarded(info.context, page.items)
        return EventPageType(items=items, next_cursor=page.next_cursor)

    @staticmethod
    def resolve_event(root, info, id):  # noqa: A002 - GraphQL argument name
        shown = selectors.event_log_guarded(info.context, [selectors.event_log_get(event_id=id)])
        return shown[0] if shown else None
