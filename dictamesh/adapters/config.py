"""Adapter configuration: a pydantic model per adapter kind, so it is validated, documented (its JSON Schema
drives the admin's form and the REST docs) and stored as plain JSON.

Secrets are never stored: a secret field holds a reference, ``{"env": "DICTAMESH_SECRET_CRM_TOKEN"}``, and
the value is read from the process environment when the adapter needs it. A literal secret is refused, and
so is a variable without the prefix DICTAMESH_SECRET_ENV_PREFIX.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from .errors import ConfigError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class AdapterConfig(BaseModel):
    """Base of every adapter's configuration: unknown keys are refused (a typo is an error, not a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvSecret(BaseModel):
    """A secret referenced from the environment: ``{"env": "NAME"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"format": "secret"})

    env: str

    @field_validator("env")
    @classmethod
    def _name(cls, value: str) -> str:
        from django.conf import settings

        from dictamesh.outbound import secret_env_allowed

        if not _ENV_NAME.match(value):
            raise ValueError("an environment variable name (letters, digits, underscores)")
        if not secret_env_allowed(value):
            raise ValueError(f"secrets are read from variables named {settings.DICTAMESH_SECRET_ENV_PREFIX}*")
        return value

    def value(self) -> str:
        """The secret, read now; a missing variable is a configuration error (permanent)."""
        found = os.environ.get(self.env)
        if found is None:
            raise ConfigError(f"The environment variable {self.env} (a secret of this adapter) is not set.")
        return found


def relative_path(value: str) -> str:
    """A path under a base URL: no scheme or host, no ``..`` segment, no control characters (a path must not
    lead a request anywhere but below the base URL)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(value)
    decoded = unquote(value)
    if parts.scheme or parts.netloc or value.startswith("//") or "\\" in decoded:
        raise ValueError("a path under base_url, not a URL")
    if any(segment == ".." for segment in decoded.replace("\\", "/").split("/")):
        raise ValueError("a path under base_url: no '..' segments")
    if any(ord(c) < 32 for c in decoded):
        raise ValueError("a path without control characters")
    return value


def validation_problems(exc: Any) -> dict[str, str]:
    """pydantic's errors as DictaMesh's ``fields``: ``{"auth.token": "…"}``."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())) or "config"
        message = error.get("msg", "invalid")
        if error.get("type") == "model_type" and (error.get("ctx") or {}).get("class_name") == "EnvSecret":
            message = 'a secret is referenced from the environment: {"env": "NAME"}, never written here'
        elif where.endswith(".env") or where == "env":
            message = f"{message} (an environment variable name)"
        problems.setdefault(where, message)
    return problems
