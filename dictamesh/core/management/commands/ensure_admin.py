import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from dictamesh.auth.services import api_token_create, user_ensure


class Command(BaseCommand):
    help = "Create the admin user on first start and print its password and an API token once."

    def handle(self, *args, **options):
        username = settings.DICTAMESH_ADMIN_USERNAME
        if get_user_model().objects.filter(username=username).exists():
            self.stdout.write(
                f"admin user '{username}' exists; a new token: `.venv/bin/python manage.py create_api_token {username}`"
            )
            return
        user = user_ensure(username=username, superuser=True)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
        issued = api_token_create(user=user, name="dictamesh dev")
        self.stdout.write("=" * 72)
        self.stdout.write(f"admin user:  {username}")
        self.stdout.write(f"password:    {password}     (admin at /admin/)")
        self.stdout.write(f"API token:   {issued.clear}")
        self.stdout.write("shown once — store them now; the token goes in `Authorization: Bearer <token>`")
        self.stdout.write("=" * 72)
