from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dictamesh.auth.models import ApiToken
from dictamesh.auth.services import api_token_revoke
from dictamesh.events.context import acting_as


class Command(BaseCommand):
    help = "Revoke API tokens by id or by prefix (dmt_<key>_), or every token of a user with --user."

    def add_arguments(self, parser):
        parser.add_argument("tokens", nargs="*", help="token ids or prefixes")
        parser.add_argument("--user", help="revoke every active token of this user")

    def handle(self, *args, tokens, user, **options):
        if not tokens and not user:
            raise CommandError("Name token ids or prefixes, or --user USERNAME.")
        queryset = ApiToken.objects.filter(revoked_at__isnull=True)
        selected = ApiToken.objects.none()
        for ref in tokens:
            if ref.isdigit():
                selected |= queryset.filter(pk=int(ref))
            else:
                key = ref.removeprefix("dmt_").split("_", 1)[0]
                selected |= queryset.filter(key=key)
        if user:
            selected |= queryset.filter(user__username=user)
        ids = list(ApiToken.objects.filter(pk__in=selected.values("pk")).values_list("pk", flat=True))
        if not ids:
            raise CommandError("No active token matched.")
        with acting_as("cli"), transaction.atomic():
            for token_id in ids:
                api_token_revoke(token_id=token_id)
        self.stdout.write(f"Revoked {len(ids)} token(s).")
