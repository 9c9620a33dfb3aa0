"""Suggestions that several detectors made for one field and category become one: the waiting rows of a
field already decided go, and of the rest the strongest stays, its detector naming all that agreed."""

from django.db import migrations


def merge(apps, schema_editor):
    FieldClassification = apps.get_model("governance", "FieldClassification")
    groups: dict[tuple[str, str, str], list] = {}
    for row in FieldClassification.objects.filter(origin__isnull=True).order_by("pk"):
        groups.setdefault((row.urn, row.path, row.pii_category), []).append(row)
    for rows in groups.values():
        waiting = [r for r in rows if r.status == "suggested"]
        if len(rows) < 2 or not waiting:
            continue
        if len(waiting) < len(rows):  # decided: the suggestions are settled
            FieldClassification.objects.filter(pk__in=[r.pk for r in waiting]).delete()
            continue
        keep = max(waiting, key=lambda r: r.confidence)
        keep.detector = "+".join(sorted({part for r in waiting for part in r.detector.split("+")}))[:20]
        keep.evidence = "; ".join(r.evidence for r in waiting if r.evidence)
        keep.save(update_fields=["detector", "evidence"])
        FieldClassification.objects.filter(pk__in=[r.pk for r in waiting if r.pk != keep.pk]).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_retention")]
    operations = [migrations.RunPython(merge, migrations.RunPython.noop)]
