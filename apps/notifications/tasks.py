"""Delivery tasks: one notification per task, retried with backoff; a sweep for what got lost."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(bind=True, name="dictamesh.notifications.deliver", max_retries=None, acks_late=True)
def deliver(self, notification_id: int) -> None:
    wait = services.deliver(notification_id=notification_id)
    if wait is not None:
        raise self.retry(countdown=wait)


@shared_task(name="dictamesh.notifications.deliver_many", acks_late=True)
def deliver_many(notification_ids: list[int]) -> int:
    """Deliver a batch (the notifications one transaction made); each that must wait is queued on its own."""
    waits = services.deliver_many(notification_ids=notification_ids)
    for pk, wait in waits.items():
        deliver.apply_async(args=[pk], countdown=wait)
    return len(notification_ids) - len(waits)


@shared_task(name="dictamesh.notifications.sweep")
def sweep() -> int:
    return services.sweep()


@shared_task(name="dictamesh.notifications.digests")
def digests() -> int:
    return services.digests()
