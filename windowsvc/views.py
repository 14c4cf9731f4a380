"""Project-level pages."""

from django.views.generic import TemplateView


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
