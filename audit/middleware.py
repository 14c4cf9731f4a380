"""Who changed the configuration: django-pghistory's context (request user and path) on PostgreSQL only.

pghistory prepends ``SELECT set_config(...)`` to each write statement, which SQLite cannot run; SQLite
keeps no history anyway (its tables have no triggers), so there the middleware steps aside.
"""

from django.db import connection
from pghistory.middleware import HistoryMiddleware as _PghistoryMiddleware


class HistoryMiddleware(_PghistoryMiddleware):
    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        return super().__call__(request)
