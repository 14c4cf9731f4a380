"""Project-level pages."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.generic import TemplateView


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
