"""Open311 GeoReport v2 (mounted at /open311/v2/); every resource ends in .json or .xml."""

from django.urls import re_path

from . import views

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.DiscoveryView.as_view(), name="open311-discovery"),
    re_path(r"^services" + FORMAT, views.ServiceListView.as_view(), name="open311-services"),
    re_path(
        r"^services/(?P<service_code>[0-9A-Za-z_-]{1,32})" + FORMAT,
        views.ServiceDefinitionView.as_view(),
        name="open311-service",
    ),
    re_path(r"^requests" + FORMAT, views.RequestListView.as_view(), name="open311-requests"),
    re_path(
        r"^requests/(?P<service_request_id>[0-9A-Za-z-]{1,32})" + FORMAT,
        views.RequestDetailView.as_view(),
        name="open311-request",
    ),
    re_path(
        r"^tokens/(?P<token>[0-9A-Za-z_-]{1,64})" + FORMAT, views.TokenView.as_view(), name="open311-token"
    ),
    # Everything else answers the spec's 404, not an HTML page.
    re_path(r"^[\s\S]*\Z", views.NotFoundView.as_view(), name="open311-not-found"),
]
