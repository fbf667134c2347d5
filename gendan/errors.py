"""Domain errors raised by the engine; ``api/`` maps each to one HTTP status."""

from __future__ import annotations


class EngineError(Exception):
    """Base class: a request the engine refuses, with a message for the person."""


class NotFound(EngineError):
    """The task, instance or order does not exist (404)."""


class NotAllowed(EngineError):
    """The actor may not do this: wrong role, department, or four-eyes rule (403)."""


class InvalidForm(EngineError):
    """The form failed validation (422); ``errors`` maps field → reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class Conflict(EngineError):
    """Someone else changed the instance first, or the task is no longer open (409)."""


class IllegalTransition(Conflict):
    """The event is not allowed in the current state (409, naming state and allowed events)."""

    def __init__(self, state: str, event: str, allowed: list[str]) -> None:
        self.state = state
        self.event = event
        self.allowed = allowed
        super().__init__(
            f"'{event}' is not allowed in state '{state}'; allowed: {', '.join(allowed) or 'none'}"
        )


class TooLarge(EngineError):
    """A file larger than the configured limit (413), e.g. an attachment over 20 MB."""


class TooManyAttempts(EngineError):
    """Too many failed logins for this account recently (429)."""
