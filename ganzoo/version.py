"""ganzoo's version, in a module of its own so that any module can read it without
importing the package's API (which would make every module depend on all others)."""

__version__ = "0.1.0"
