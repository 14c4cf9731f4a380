"""The public API (mounted at /api/public/): anonymous, rate-limited."""

from django.urls import path

from .online import OnlineSubmissionView, SmsCodeView
from .views import StatusLookupView

urlpatterns = [
    path("status/", StatusLookupView.as_view(), name="public-status"),
    path("online/sms-code/", SmsCodeView.as_view(), name="public-online-sms-code"),
    path("online/submissions/", OnlineSubmissionView.as_view(), name="public-online-submissions"),
]
