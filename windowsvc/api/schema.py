"""The API schema's shared pieces: the error answers of ``windowsvc/api/exceptions.py`` and DRF, and the
schema class that declares them on every staff operation.

Every signed-in (staff) operation declares the errors it can give without anyone writing them out, from
what the operation is (``ApiAutoSchema.shared_errors``):

| answer | declared on | body |
|---|---|---|
| 400 | writes with a request body, and operations with query parameters (unknown filter values) | ``{field: [message]}`` |
| 401 | every operation that needs a signed-in user (no or an expired token; ``WWW-Authenticate: Token``) | ``{"detail"}`` |
| 403 | writes with a request body: the user sees the object, but their role may not do this to it | ``{"detail"}`` |
| 404 | operations with path parameters (missing or outside the scope: one body) and paginated lists (no such page) | ``{"detail"}`` |

An operation declares the rest itself with these same objects (409 with its own ``TransitionError`` shape,
422, 429, a 403 on a read), and its own description of a shared one where it says more. Anonymous
operations (``AllowAny``: the public status lookup, Open311, the token endpoint) declare all their answers
themselves.

The schema of a read-only model field follows the model: DRF drops ``allow_blank`` from read-only fields,
so a choice field whose column may be blank (a case's ``matter_kind`` before classification, an event's
``from_status`` at intake) would promise an enum value it does not keep; ``ApiAutoSchema`` puts ``""``
back into its enum (``BlankEnum``), and an e-mail field that may be blank is a string that is either empty
or an address.
"""

from __future__ import annotations

import copy

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny


class ErrorSerializer(serializers.Serializer):
    """An error without fields: 401, 403, 404, 422, 429."""

    detail = serializers.CharField()


class TransitionErrorSerializer(serializers.Serializer):
    """409: the command is not allowed in the object's current state (or was overtaken by another).

    Each state machine names its own subclass with ``current_status`` as its enum of statuses."""

    detail = serializers.CharField()
    current_status = serializers.CharField()
    allowed_commands = serializers.ListField(child=serializers.CharField(), help_text=_("当前可执行的操作"))


FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Field errors: `{field: [message]}` (nested objects nest their fields' errors).",
    examples=[OpenApiExample("field-errors", value={"title": ["该字段是必填项。"]})],
)
UNAUTHENTICATED = OpenApiResponse(
    ErrorSerializer,
    description="No credentials, or a token that expired or was revoked (header `WWW-Authenticate: Token`).",
)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="The user sees the object, but their role may not do this to it."
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="The object does not exist or is outside the user's scope (one body for both); "
    "on a list: no such page.",
)


def conflict(serializer: type[TransitionErrorSerializer]) -> OpenApiResponse:
    """409 of a state machine's commands, in that state machine's own ``TransitionError`` shape."""
    return OpenApiResponse(
        serializer,
        description="Not allowed in the current state (or refused by a guard, a stale `expected_version`, "
        "or overtaken by a concurrent command).",
    )


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema with the shared error answers and blank-aware read-only fields (module
    docstring). ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``."""

    def shared_errors(self) -> dict[int, OpenApiResponse]:
        permissions = self.view.get_permissions()
        if not permissions or all(isinstance(p, AllowAny) for p in permissions):
            return {}
        parameters = self._get_parameters()
        places = {parameter["in"] for parameter in parameters}
        errors = {401: UNAUTHENTICATED}
        if "query" in places:
            errors[400] = FIELD_ERRORS
        if self.method not in SAFE_METHODS and self.get_request_serializer() is not None:
            errors[400] = FIELD_ERRORS
            errors[403] = FORBIDDEN
        if "path" in places or any(p["in"] == "query" and p["name"] == "page" for p in parameters):
            errors[404] = NOT_FOUND
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self.shared_errors().items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if field.read_only and _blank_in_model(field):
            if isinstance(field, serializers.ChoiceField) and not field.allow_blank:
                field = copy.copy(field)
                field.allow_blank = True
            elif isinstance(field, serializers.EmailField):
                schema = super()._map_serializer_field(field, direction, bypass_extensions)
                email = {key: schema.pop(key) for key in ("type", "format")}
                return {**schema, "anyOf": [email, {"type": "string", "maxLength": 0}]}
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _blank_in_model(field: serializers.Field) -> bool:
    """Whether ``field`` shows a model column that may hold ``""``."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(getattr(model._meta.get_field(field.source), "blank", False))
    except FieldDoesNotExist:
        return False
