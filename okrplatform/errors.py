"""Domain errors raised by services; views and the API turn them into clear messages."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken. ``field`` names the form/API field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDeniedError(DomainError):
    """The acting member's role does not allow this."""
