from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load each installed DictaMesh app's demo data (the `load()` of its demo.py), idempotently."

    def handle(self, *args, **options):
        loaded = []
        for config in apps.get_app_configs():
            if not config.name.startswith(("apps.", "dictamesh.")):
                continue
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            summary = import_module(module_name).load()
            loaded.append(f"{config.label}: {summary}")
        if loaded:
            for line in loaded:
                self.stdout.write(f"demo data — {line}")
        else:
            self.stdout.write("no app ships demo data yet")
