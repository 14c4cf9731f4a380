"""Error types raised by services; the API exception handler maps them to HTTP answers."""


class ServiceError(Exception):
    """Base class for refusals a service reports to its caller."""


class NotFound(ServiceError):
    """The object does not exist or the actor may not see it (one answer for both: 404)."""


class TransitionNotAllowed(ServiceError):
    """A command not allowed from the current state (409)."""

    def __init__(self, message: str, *, current: str = "", allowed: list[str] | None = None):
        super().__init__(message)
        self.current = current
        self.allowed = allowed or []


class PermissionDenied(ServiceError):
    """The actor may see the object but not run this command on it (403)."""


class ValidationFailed(ServiceError):
    """Input that a serializer could not catch, with field errors (400)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(str(errors))
        self.errors = errors


class IdempotencyConflict(ServiceError):
    """An ``Idempotency-Key`` reused with a different request body (422)."""
