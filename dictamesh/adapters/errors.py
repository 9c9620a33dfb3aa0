"""What an adapter raises (part of the adapter protocol, dictamesh.adapters.base)."""

from __future__ import annotations


class AdapterError(Exception):
    """What an adapter raises. ``retryable``: a later attempt may succeed (timeouts, 429, 5xx, a database
    restarting); otherwise the same call will fail again until someone changes something."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.status = status  # the source's HTTP status (or the like), when it gave one


class RetryableError(AdapterError):
    retryable = True


class PermanentError(AdapterError):
    retryable = False


class ConfigError(PermanentError):
    """The configuration is wrong (validation, a missing secret, a refused login)."""
