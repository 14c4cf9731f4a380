"""Project-level pages, and the answer to an address that matches no URL."""

from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views import defaults
from django.views.generic import TemplateView
from rest_framework.exceptions import NotFound


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon (resolved per
    request, so the hashed name of the production storage is used)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


class HomeView(TemplateView):
    """Landing page: what the window is; for staff, the day's worklist of every role they hold
    (``cases.selectors.worklist``), most urgent first."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_authenticated:
            from cases.selectors import SORTS, worklist

            sort = self.request.GET.get("sort", "urgency")
            sort = sort if sort in SORTS else "urgency"
            context.update(sections=worklist(user=self.request.user, sort=sort), sort=sort)
        return context


def page_not_found(request, exception=None):
    """``handler404``: under ``/api/`` the API's own 404 (``{"detail"}``, the body of a missing object, so
    ``/api/v1/cases/abc/`` answers like ``/api/v1/cases/999999/``); elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


# --- Ceilings of ``manage.py benchmark --http`` (routed only under settings.benchmark) ---------------


def bench_plain(request):
    """The ceiling of this stack: the whole middleware, no query, a few bytes."""
    return HttpResponse(b"ok", content_type="text/plain")


def bench_one_query(request):
    """The ceiling of a lookup: the whole middleware and one indexed query by tracking number, as JSON."""
    from cases.models import Case

    number = request.GET.get("n", "")
    row = Case.objects.filter(tracking_number=number).values("tracking_number", "status").first()
    return JsonResponse(row or {}, status=200 if row else 404)
