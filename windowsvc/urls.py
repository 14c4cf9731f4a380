"""Root URLs: pages, admin, API (/api/v1/), API docs. The probes (/livez, /readyz, /healthz) are answered
by ``windowsvc.health.ProbeMiddleware`` before any URL is resolved."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from .apidocs import redoc_view, swagger_view
from .views import HomeView, bench_one_query, bench_plain, favicon, page_not_found

api_v1 = [
    path("", include("routing.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("supervision.api.urls")),
    path("", include("library.api.urls")),
    path("", include("practice.api.urls")),
    path("", include("audit.api.urls")),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the static icon.
    path("favicon.ico", favicon, name="favicon"),
    path("notifications/", include("notifications.urls")),
    path("cases/", include("cases.urls")),
    path("supervision/", include("supervision.urls")),
    path("library/", include("library.urls")),
    path("practice/", include("practice.urls")),
    path("audit/", include("audit.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # API docs from bundled assets, under the CSP (windowsvc/apidocs.py).
    path("api/docs/", swagger_view, name="swagger-ui"),
    path("api/redoc/", redoc_view, name="redoc"),
    # The public side (citizens/): anonymous status API, Open311, status and survey pages.
    path("api/public/", include("citizens.api.urls")),
    path("open311/v2/", include("citizens.open311.urls")),
    # 12345 platforms push work orders and satisfaction results, signed (hotline/, docs/HOTLINE.md).
    path("api/hotline/v1/", include("hotline.api.urls")),
    path("", include("citizens.urls")),
]

if getattr(settings, "BENCHMARK_VIEWS", False):  # windowsvc/settings/benchmark.py only
    urlpatterns[:0] = [path("bench/plain/", bench_plain), path("bench/one-query/", bench_one_query)]

handler404 = page_not_found

admin.site.site_header = _("“办不成事”反映窗口 管理后台")
admin.site.site_title = "windowsvc"
