"""User-facing errors.

Anything a user can cause (a typo, a missing file, a bad value) is raised as a
`GanzooError`; the CLI prints its message on one line and exits with code 2.
Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class GanzooError(Exception):
    """A problem the user can fix; the message says what is wrong and how to fix it."""

    exit_code = 2


class ConfigError(GanzooError):
    """A bad model name, hyperparameter or registry entry."""


class DataError(GanzooError):
    """A data set that is missing, unreadable or not made of images."""


class WeightsError(GanzooError):
    """A weights file that cannot be trusted or does not fit the model."""


class PluginError(GanzooError):
    """A plugin that failed to load or returned something unusable."""
