"""Project-level pages, and the answer to an address that matches no URL."""

from django.http import JsonResponse
from django.views import defaults
from django.views.generic import TemplateView
from rest_framework.exceptions import NotFound


class HomeView(TemplateView):
    """Landing page: what the window is and where each kind of user goes next."""

    template_name = "home.html"


def page_not_found(request, exception=None):
    """``handler404``: under ``/api/`` the API's own 404 (``{"detail"}``, the body of a missing object, so
    ``/api/v1/cases/abc/`` answers like ``/api/v1/cases/999999/``); elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
