from __future__ import annotations

from apps.notifications.tests.conftest import receiver, smtp  # noqa: F401 - real local SMTP and HTTP servers
