"""Supervision pages (/supervision/)."""

from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("overdue/", views.OverdueListView.as_view(), name="overdue"),
    path("reviews/", views.ReviewListView.as_view(), name="reviews"),
    path("departments/", views.DepartmentTableView.as_view(), name="departments"),
    path("rankings/", views.RankingsView.as_view(), name="rankings"),
    path("lights/", views.LightBoardView.as_view(), name="lights"),
    path("bulletin/", views.BulletinView.as_view(), name="bulletin"),
    path(
        "annual/",
        views.BulletinView.as_view(kind="year", template_name="supervision/bulletin.html"),
        name="annual",
    ),
    path("export/cases.<str:fmt>", views.CaseExportView.as_view(), name="export"),
    path("cases/actions/", views.CaseBulkActionView.as_view(), name="bulk-action"),
    path("cases/<int:pk>/<slug:action>/", views.CaseActionView.as_view(), name="case-action"),
    path(
        "departments/<int:pk>/<slug:action>/", views.DepartmentActionView.as_view(), name="department-action"
    ),
]
