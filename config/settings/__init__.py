"""DictaMesh settings: one module per concern, every value read from the environment through config.env."""

from config.env import ENV

from .adapters import *  # noqa: F403
from .api import *  # noqa: F403
from .auth import *  # noqa: F403
from .base import *  # noqa: F403
from .catalog import *  # noqa: F403
from .celery import *  # noqa: F403
from .database import *  # noqa: F403
from .events import *  # noqa: F403
from .governance import *  # noqa: F403
from .kafka import *  # noqa: F403
from .lineage import *  # noqa: F403
from .notifications import *  # noqa: F403
from .observability import *  # noqa: F403
from .outbound import *  # noqa: F403
from .privacy import *  # noqa: F403
from .redis import *  # noqa: F403
from .schemas import *  # noqa: F403

ENV.finalize()

# the declared variables, for `dictamesh check-config`
DICTAMESH_CONFIG = ENV
