"""The PostgreSQL extensions DictaMesh needs: pgvector (semantic search) and pg_trgm (fuzzy search)."""

from django.contrib.postgres.operations import CreateExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [
        CreateExtension("vector"),
        CreateExtension("pg_trgm"),
    ]
