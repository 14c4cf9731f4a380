"""How API requests authenticate: the expiring tokens of ``windowsvc.api.tokens`` (settings' DRF
``DEFAULT_AUTHENTICATION_CLASSES``, before the session). Its own module: DRF reads the setting while
``rest_framework.views`` is imported, which the token views import.
"""

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.signals import token_expired


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token authentication, without its sweep of the user's other tokens on every request.

    knox reads every token of the user on each authenticated request to delete the expired ones: one query
    more per API call, growing with the user's token count. Here a request checks (and deletes, when
    expired) only the token it presents; the user's other expired tokens are deleted when a new token is
    issued (``windowsvc.api.tokens.TokenLoginView``). An expired token is refused either way.
    """

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class ApiTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of the tokens: knox's, unchanged (same name, header and prefix)."""

    target_class = ApiTokenAuthentication
