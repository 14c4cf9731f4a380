from django.urls import path

from . import views

urlpatterns = [
    path("audit/events/", views.AuditEventListAPIView.as_view(), name="api-audit-events"),
    path("audit/config-history/", views.ConfigHistoryAPIView.as_view(), name="api-audit-config-history"),
    path("audit/digests/", views.ChainDigestListAPIView.as_view(), name="api-audit-digests"),
]
