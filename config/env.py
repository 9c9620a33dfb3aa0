"""Typed, documented access to the environment — the only place settings read os.environ.

Every variable a settings module reads is declared here through ``ENV.<type>(...)`` with a default,
a one-line meaning and whether it is secret or required in production. The declarations are what
``dictamesh check-config`` prints (secrets redacted) and what docs/configuration.md must list
(a test checks that). Problems (a missing required value, a malformed number or URL) are collected:
in ``prod`` they stop the boot with one message naming every variable; in ``dev``/``test`` they are
reported by ``check-config``.

In ``dev``, values that ``dictamesh dev`` wrote to ``<DICTAMESH_DATA_DIR>/services.env`` are used
when the variable is not set, so ``manage.py`` in the same checkout talks to the running services.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "test", "prod")
SERVICES_FILE_NAME = "services.env"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(Exception):
    """Raised at boot in prod when the environment is incomplete or invalid."""


@dataclass
class Variable:
    name: str
    kind: str
    doc: str
    default: object
    secret: bool
    required_in_prod: bool
    raw: str | None = None
    source: str = "default"  # env | services file | default
    value: object = None


@dataclass
class Env:
    environ: Mapping[str, str]
    variables: dict[str, Variable] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    file_values: dict[str, str] = field(default_factory=dict)
    name: str = "dev"
    data_dir: Path = BASE_DIR / ".dictamesh"

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Env:
        env = cls(environ=dict(os.environ if environ is None else environ))
        env.name = env.choice(
            "DICTAMESH_ENV",
            ENVIRONMENTS,
            default="dev",
            doc="Which environment this process runs in: dev, test or prod. Decides defaults and strictness.",
        )
        data_dir = env.path(
            "DICTAMESH_DATA_DIR",
            default=BASE_DIR / ".dictamesh",
            doc="Where `dictamesh dev` keeps the embedded services' data and its services.env file.",
        )
        env.data_dir = data_dir
        if env.name == "dev":
            env.file_values = read_services_file(data_dir / SERVICES_FILE_NAME)
        return env

    # -- typed readers ------------------------------------------------------------------------------
    def _lookup(self, name: str) -> tuple[str | None, str]:
        if name in self.environ:
            return self.environ[name], "env"
        if name in self.file_values:
            return self.file_values[name], "services file"
        return None, "default"

    def _declare(
        self,
        name: str,
        kind: str,
        default: object,
        doc: str,
        secret: bool,
        required_in_prod: bool,
    ) -> tuple[Variable, str | None]:
        raw, source = self._lookup(name)
        var = Variable(name, kind, doc, default, secret, required_in_prod, raw, source)
        self.variables[name] = var
        if raw is None or raw == "":
            if required_in_prod and self.name == "prod":
                self.problems.append(f"{name} is required in prod: {doc}")
            var.value = default
            return var, None
        return var, raw

    def str(
        self,
        name: str,
        *,
        default: str | None = None,
        doc: str,
        secret: bool = False,
        required_in_prod: bool = False,
    ) -> str | None:
        var, raw = self._declare(name, "str", default, doc, secret, required_in_prod)
        if raw is not None:
            var.value = raw
        return var.value  # type: ignore[return-value]

    def url(
        self,
        name: str,
        *,
        default: str | None = None,
        doc: str,
        schemes: tuple[str, ...],
        secret: bool = True,
        required_in_prod: bool = False,
    ) -> str | None:
        var, raw = self._declare(name, "url", default, doc, secret, required_in_prod)
        if raw is None:
            return var.value  # type: ignore[return-value]
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            self.problems.append(
                f"{name} must be a URL with scheme {' or '.join(schemes)}, got {redact_url(raw)!r}"
            )
            var.value = default
            return default
        var.value = raw
        return raw

    def bool(self, name: str, *, default: bool, doc: str) -> bool:
        var, raw = self._declare(name, "bool", default, doc, False, False)
        if raw is None:
            return default
        low = raw.strip().lower()
        if low in _TRUE:
            var.value = True
        elif low in _FALSE:
            var.value = False
        else:
            self.problems.append(f"{name} must be true or false, got {raw!r}")
            var.value = default
        return bool(var.value)

    def int(self, name: str, *, default: int, doc: str, minimum: int | None = None) -> int:
        var, raw = self._declare(name, "int", default, doc, False, False)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name} must be a whole number, got {raw!r}")
            return default
        if minimum is not None and value < minimum:
            self.problems.append(f"{name} must be at least {minimum}, got {value}")
            return default
        var.value = value
        return value

    def float(self, name: str, *, default: float, doc: str) -> float:
        var, raw = self._declare(name, "float", default, doc, False, False)
        if raw is None:
            return default
        try:
            var.value = float(raw)
        except ValueError:
            self.problems.append(f"{name} must be a number, got {raw!r}")
            return default
        return var.value  # type: ignore[return-value]

    def list(self, name: str, *, default: list[str], doc: str) -> list[str]:
        var, raw = self._declare(name, "list", default, doc, False, False)
        if raw is None:
            return list(default)
        var.value = [item.strip() for item in raw.split(",") if item.strip()]
        return var.value  # type: ignore[return-value]

    def choice(self, name: str, choices: tuple[str, ...], *, default: str, doc: str) -> str:
        var, raw = self._declare(name, "choice", default, doc, False, False)
        if raw is None:
            return default
        if raw not in choices:
            self.problems.append(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
            return default
        var.value = raw
        return raw

    def path(self, name: str, *, default: Path, doc: str) -> Path:
        var, raw = self._declare(name, "path", str(default), doc, False, False)
        value = Path(raw).expanduser() if raw is not None else default
        var.value = str(value)
        return value

    # -- reporting ----------------------------------------------------------------------------------
    def problem(self, message: str) -> None:
        self.problems.append(message)

    def display_value(self, var: Variable) -> str:
        if var.value is None or var.value == "":
            return "(unset)"
        if var.secret:
            return redact_url(str(var.value)) if var.kind == "url" else "********"
        if isinstance(var.value, list):
            return ",".join(var.value)
        return str(var.value)

    def finalize(self) -> None:
        """Stop the boot in prod when any declared variable is missing or invalid."""
        collect_only = self.environ.get("DICTAMESH_CHECK_CONFIG") == "1"
        if self.problems and self.name == "prod" and not collect_only:
            lines = "\n  - ".join(self.problems)
            raise ConfigurationError(
                f"DictaMesh cannot start: the environment is incomplete or invalid:\n  - {lines}\n"
                "See docs/configuration.md; `dictamesh check-config` prints the effective configuration."
            )


def redact_url(url: str) -> str:
    """Hide the password of a URL (``postgres://u:secret@h/db`` → ``postgres://u:****@h/db``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "********"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def read_services_file(path: Path) -> dict[str, str]:
    """Read the KEY=VALUE lines that `dictamesh dev` writes for the services it started."""
    values: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return values
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


ENV = Env.from_environ()
