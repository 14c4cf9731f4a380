"""Public pages: /status/ (from the receipt's QR code) and /survey/<token>/ (from the survey SMS)."""

from django.urls import path

from . import views

urlpatterns = [
    path("status/", views.StatusPageView.as_view(), name="public-status-page"),
    path("survey/<str:token>/", views.SurveyPageView.as_view(), name="public-survey"),
]
