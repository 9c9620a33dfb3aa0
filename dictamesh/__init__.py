"""DictaMesh core library: may import Django and third-party libraries, never ``apps`` or ``config``."""

__version__ = "0.1.0"
