from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """An API token. Only its SHA-256 digest is stored; the clear token is shown once at creation.

    Format: ``dmt_<key>_<secret>`` — ``dmt_`` makes leaked tokens easy to find (secret scanners), ``key``
    (10 chars, unique, stored in clear) finds the row, ``secret`` (43 chars, 256 bits) is what is hashed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_auth_api_token"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="dictamesh_auth_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} (dmt_{self.key}_…)"

    @property
    def prefix(self) -> str:
        return f"dmt_{self.key}_"

    def state_at(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
