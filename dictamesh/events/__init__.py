"""The event backbone. Publish with ``dictamesh.events.publish(...)`` inside the transaction of the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .envelope import Event
    from .outbox import Change


def publish(**kwargs: Any) -> Event:
    from .outbox import publish as _publish

    return _publish(**kwargs)


def publish_many(changes: list[Change]) -> list[Event]:
    from .outbox import publish_many as _publish_many

    return _publish_many(changes)
