"""Maps service errors to HTTP: 400 field errors, 403, 404 (missing or not visible), 409 transitions,
422 reused idempotency keys."""

from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from windowsvc import errors


def exception_handler(exc, context):
    if isinstance(exc, errors.NotFound):
        # DRF's own wording, so a service's "not visible" matches the router's "does not exist" byte for byte.
        return Response({"detail": drf_exceptions.NotFound.default_detail}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, errors.TransitionNotAllowed):
        return Response(
            {"detail": str(exc), "current_status": exc.current, "allowed_commands": exc.allowed},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, errors.PermissionDenied):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, errors.IdempotencyConflict):
        return Response({"detail": str(exc)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, errors.ValidationFailed):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
