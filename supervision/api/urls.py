"""Supervision API routes (mounted at /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("supervision/dashboard/", views.DashboardAPIView.as_view(), name="supervision-dashboard"),
    path("supervision/departments/", views.DepartmentsAPIView.as_view(), name="supervision-departments"),
    path("supervision/rankings/", views.RankingsAPIView.as_view(), name="supervision-rankings"),
    path("supervision/overdue/", views.OverdueAPIView.as_view(), name="supervision-overdue"),
    path(
        "supervision/cases/<int:pk>/urge/",
        views.CaseUrgeAPIView.as_view(),
        name="supervision-case-urge",
    ),
    path(
        "supervision/cases/<int:pk>/supervise/",
        views.CaseSuperviseAPIView.as_view(),
        name="supervision-case-supervise",
    ),
]
