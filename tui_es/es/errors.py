"""The error kinds of cqrs-es's ``AggregateError``, as Python exceptions.

``str(error)`` gives the same text cqrs-es's ``Display`` does, so a rejected
command prints the domain's own message (``funds not available``).
"""

from __future__ import annotations


class DomainError(Exception):
    """Raised by an aggregate's ``handle`` when a business rule rejects a command.

    Domains subclass it (the bank's ``BankAccountError``); the framework wraps
    it in :class:`UserError`.
    """


class AggregateError(Exception):
    """Base of every error ``execute`` can raise."""


class UserError(AggregateError):
    """The domain rejected the command; the message is the domain's own."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(str(error))
        self.error = error


class AggregateConflict(AggregateError):
    """Another writer committed to the aggregate since it was loaded."""

    def __init__(self, message: str = "aggregate conflict") -> None:
        super().__init__(message)


class DatabaseConnectionError(AggregateError):
    """The database could not be reached, or refused a read or a write."""


class DeserializationError(AggregateError):
    """A stored payload could not be decoded into the domain's types."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class UnexpectedError(AggregateError):
    """Anything else: a bug or a technical failure; log it, don't show it to end users."""


class ReadOnlyError(DatabaseConnectionError):
    """A write was attempted on a store opened read-only."""
