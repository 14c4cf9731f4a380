"""API tokens (django-rest-knox): obtain with username and password, log out one token or all of them.

Tokens are stored hashed, expire after ``API_TOKEN_TTL_HOURS`` and are revoked on logout and whenever the
user's password changes (``windowsvc/logins.py``). Clients send ``Authorization: Token <token>``.
The token endpoint is a login path like the login page: axes counts its failures and a locked-out client
gets 429 with a ``detail`` (``windowsvc/logins.py``), never a token.
"""

from django.contrib.auth import authenticate, get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox import views as knox_views
from knox.models import AuthToken
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny

from windowsvc.api.authentication import ApiTokenAuthentication
from windowsvc.api.schema import ErrorSerializer
from windowsvc.logins import lockout_message


class TokenLoginSerializer(serializers.Serializer):
    # The user model's bound: a longer name is no account, and axes would fail to record it (its column
    # holds 255 characters): 400, never a 500, as on the login page.
    username = serializers.CharField(max_length=get_user_model()._meta.get_field("username").max_length)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class LoginLockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


TokenSerializer = inline_serializer(
    "ApiToken", {"token": serializers.CharField(), "expiry": serializers.DateTimeField(allow_null=True)}
)


class TokenLoginView(knox_views.LoginView):
    """POST username + password → ``{"token", "expiry"}``; wrong credentials 400, locked out 429."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    serializer_class = TokenLoginSerializer

    @extend_schema(
        request=TokenLoginSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Missing fields, or wrong credentials: `{"non_field_errors": [message]}`.',
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Too many failed logins from this account or address: locked out for a while.",
            ),
        },
    )
    def post(self, request, format=None):
        data = TokenLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None:
            # Set by axes (windowsvc/logins.py) when this failure reached a limit or the client is locked out.
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(lockout_message(request))
            # The same 400 shape as DRF's authtoken endpoint answered before.
            raise serializers.ValidationError(
                {"non_field_errors": [_("用户名或密码不正确，或账号已停用。")]}, code="authorization"
            )
        request.user = user
        # The user's expired tokens go here, not on every request (``ApiTokenAuthentication``).
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        return super().post(request, format=format)


class TokenLogoutView(knox_views.LogoutView):
    """POST with a token: that token stops working (204)."""

    authentication_classes = (ApiTokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)


class TokenLogoutAllView(knox_views.LogoutAllView):
    """POST with a token: every token of the user stops working (204)."""

    authentication_classes = (ApiTokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)
