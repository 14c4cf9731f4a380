"""Inbox pages (/notifications/)."""

from django.urls import path

from .views import InboxView, MarkAllReadView, MarkReadView, OpenView

app_name = "notifications"

urlpatterns = [
    path("", InboxView.as_view(), name="inbox"),
    path("<int:pk>/read/", MarkReadView.as_view(), name="mark-read"),
    path("<int:pk>/open/", OpenView.as_view(), name="open"),
    path("read-all/", MarkAllReadView.as_view(), name="mark-all-read"),
]
