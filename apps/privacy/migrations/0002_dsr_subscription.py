"""The subscription that tells a request's steward and its sources' owners about it (in-app): reminders before
the deadline, its breach, a source that failed. Its event types are mandatory (notifications' settings)."""

from django.db import migrations

NAME = "data-subject-requests"


def create(apps, schema_editor):
    Subscription = apps.get_model("notifications", "Subscription")
    Subscription.objects.get_or_create(
        name=NAME,
        defaults={
            "description": "Data-subject requests: deadlines, breaches and failed sources, to the steward and the "
            "owners of the sources involved.",
            "event_types": ["dictamesh.governance.dsr.deadline_near", "dictamesh.governance.dsr.deadline_breached",
                            "dictamesh.governance.dsr.source_failed", "dictamesh.governance.dsr.assigned",
                            "dictamesh.governance.dsr.planned"],
            "channel": "inapp", "owners": True, "priority": "normal",
        },
    )  # fmt: skip


def remove(apps, schema_editor):
    apps.get_model("notifications", "Subscription").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial"), ("notifications", "0008_notification_rate_slot")]
    operations = [migrations.RunPython(create, remove)]
