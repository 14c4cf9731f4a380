"""The hotline platforms' API (mounted at /api/hotline/v1/)."""

from django.urls import path

from .views import SatisfactionView, WorkOrderPushView

urlpatterns = [
    path("work-orders/", WorkOrderPushView.as_view(), name="hotline-work-orders"),
    path("satisfaction/", SatisfactionView.as_view(), name="hotline-satisfaction"),
]
