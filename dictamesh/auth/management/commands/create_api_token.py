from django.core.management.base import BaseCommand, CommandError

from dictamesh.auth.services import api_token_create, user_ensure
from dictamesh.errors import DictaMeshError


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print it alone on the last line. The user must exist, unless "
        "--create-user (a mistyped name is an error, never a new account)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--create-user", action="store_true", help="create USERNAME when it does not exist"
        )
        parser.add_argument("--superuser", action="store_true", help="make the user a superuser (and staff)")
        parser.add_argument("--expires-days", type=int, default=None, help="days until the token expires")
        parser.add_argument("--name", default="cli", help="a name to recognise the token by")

    def handle(self, *args, username, create_user, superuser, expires_days, name, **options):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        if not create_user and not User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
            raise CommandError(f"No user {username!r}: check the name, or pass --create-user to create it.")
        user = user_ensure(username=username, superuser=superuser)
        try:
            issued = api_token_create(user=user, name=name, expires_days=expires_days)
        except DictaMeshError as exc:
            raise CommandError(exc.message) from exc
        expiry = issued.token.expires_at.isoformat() if issued.token.expires_at else "never"
        self.stderr.write(
            f"Token {issued.token.prefix}… for {user.get_username()} (id {issued.token.pk}, expires {expiry}). "
            "It is shown once; store it now."
        )
        self.stdout.write(issued.clear)
