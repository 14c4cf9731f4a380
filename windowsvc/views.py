"""Project-level pages."""

from django.views.generic import TemplateView


class HomeView(TemplateView):
    """Landing page: what the window is and where each kind of user goes next."""

    template_name = "home.html"
