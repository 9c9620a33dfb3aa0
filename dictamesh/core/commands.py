"""The base of the management commands that `dictamesh` runs (``dictamesh events``, ``dictamesh adapter``):
their help names ``dictamesh``, shows only their own options, and a failure is one clear line and exit 1 —
an unknown thing, a database that cannot be reached — never a traceback."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, ProgrammingError

from dictamesh.errors import DictaMeshError

DJANGO_OPTIONS = {"--version", "--verbosity", "--settings", "--pythonpath", "--traceback", "--no-color",
                  "--force-color", "--skip-checks"}  # fmt: skip


class CliCommand(BaseCommand):
    suppressed_base_arguments = DJANGO_OPTIONS
    requires_system_checks: list = []  # checks run at start-up of the server; a CLI call should start fast

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser("dictamesh", subcommand, **kwargs)

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DictaMeshError as exc:
            raise CommandError(exc.message) from exc
        except OperationalError as exc:
            from django.db import connection

            where = connection.settings_dict
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(
                f"cannot reach PostgreSQL at {where.get('HOST') or 'localhost'}:{where.get('PORT') or 5432}"
                f"/{where.get('NAME')}: {first}. Is DATABASE_URL right, and is `dictamesh dev` running?"
            ) from exc
        except ProgrammingError as exc:
            if "does not exist" not in str(exc):
                raise
            raise CommandError(
                "the database has no DictaMesh tables yet: run `python manage.py migrate` (`dictamesh dev` "
                f"migrates on start): {str(exc).strip().splitlines()[0]}"
            ) from exc
