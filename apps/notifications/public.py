"""What other apps may use of notifications (import only this module)."""

from __future__ import annotations

from .services import notify

__all__ = ["notify"]
