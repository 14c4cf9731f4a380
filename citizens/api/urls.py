"""The public API (mounted at /api/public/): anonymous, rate-limited."""

from django.urls import path

from .views import StatusLookupView

urlpatterns = [
    path("status/", StatusLookupView.as_view(), name="public-status"),
]
