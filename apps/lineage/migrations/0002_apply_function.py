"""Once ``dictamesh_lineage_apply`` (one event a round trip); superseded by 0003, which drops it and creates
``dictamesh_lineage_apply_pending`` (batches from a queue). Kept empty so that migration history holds."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("lineage", "0001_initial")]

    operations: list = []
