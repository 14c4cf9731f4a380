"""Supervision API routes (mounted at /api/v1/)."""

from django.urls import path

from .. import services
from . import views

urlpatterns = [
    path("supervision/dashboard/", views.DashboardAPIView.as_view(), name="supervision-dashboard"),
    path("supervision/departments/", views.DepartmentsAPIView.as_view(), name="supervision-departments"),
    path("supervision/rankings/", views.RankingsAPIView.as_view(), name="supervision-rankings"),
    path("supervision/overdue/", views.OverdueAPIView.as_view(), name="supervision-overdue"),
    path(
        "supervision/cases/<int:pk>/urge/",
        views.CaseActionAPIView.as_view(action_name=services.URGE),
        name="supervision-case-urge",
    ),
    path(
        "supervision/cases/<int:pk>/supervise/",
        views.CaseActionAPIView.as_view(action_name=services.SUPERVISE),
        name="supervision-case-supervise",
    ),
]
