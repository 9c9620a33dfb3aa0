from django.core.management.base import BaseCommand
from tqdm import tqdm

from apps.catalog.models import Entity
from apps.catalog.vectors import entity_embeddings_refresh
from dictamesh.embeddings import get_embedder


class Command(BaseCommand):
    help = "Compute the embeddings of every live entity whose text or embedder changed (--all: every one)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Recompute every embedding, changed or not.")
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, CI).")

    def handle(self, *args, **options):
        live = Entity.objects.filter(deleted_at__isnull=True)
        total = live.count()
        embedder = get_embedder()
        self.stdout.write(f"embedder {embedder.name}: {total} live entities")
        written, last_id = 0, 0
        with tqdm(total=total, unit="entity", disable=options["no_progress"], file=self.stderr._out) as bar:
            while True:
                ids = list(
                    live.filter(pk__gt=last_id)
                    .order_by("pk")
                    .values_list("pk", flat=True)[: options["batch"]]
                )
                if not ids:
                    break
                written += entity_embeddings_refresh(ids=ids, force=options["all"])
                last_id = ids[-1]
                bar.update(len(ids))
        self.stdout.write(
            self.style.SUCCESS(f"{written} embeddings written, {total - written} already current")
        )
