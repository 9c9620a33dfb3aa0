"""Subscriptions every deployment starts with (stewards may change or disable them): the owners of an adapter
instance hear in their inbox, and by e-mail when they have an address, that its sync failed."""

from django.db import migrations

DEFAULTS = [
    {
        "name": "adapter-sync-failed-inapp",
        "description": "A failed sync run, to the adapter instance's owners, in their inbox.",
        "event_types": ["dictamesh.adapters.sync.failed"],
        "channel": "inapp",
        "owners": True,
        "priority": "normal",
    },
    {
        "name": "adapter-sync-failed-email",
        "description": "A failed sync run, to the adapter instance's owners, by e-mail.",
        "event_types": ["dictamesh.adapters.sync.failed"],
        "channel": "email",
        "owners": True,
        "priority": "normal",
    },
]


def create(apps, schema_editor):
    Subscription = apps.get_model("notifications", "Subscription")
    for fields in DEFAULTS:
        Subscription.objects.get_or_create(name=fields["name"], defaults=fields)


def remove(apps, schema_editor):
    Subscription = apps.get_model("notifications", "Subscription")
    Subscription.objects.filter(name__in=[d["name"] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_profile")]
    operations = [migrations.RunPython(create, remove)]
