"""Errors whose message is written for the artist: each says what went wrong and what to do."""

from __future__ import annotations


class T2IAError(Exception):
    """Base of the app's own errors; ``str(error)`` is fit to show in the UI or on stderr."""


class BadInput(T2IAError):
    """A request, a file or a parameter that cannot be used as given."""


class ModelUnavailable(T2IAError):
    """Weights that are not on this machine and cannot be downloaded now."""


class Cancelled(T2IAError):
    """A job stopped because the artist cancelled it."""

    def __init__(self, message: str = "Cancelled") -> None:
        super().__init__(message)
