from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dictamesh.auth.models import ApiToken


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
        count = ApiToken.objects.filter(pk__in=selected.values("pk")).update(revoked_at=timezone.now())
        if count == 0:
            raise CommandError("No active token matched.")
        self.stdout.write(f"Revoked {count} token(s).")
