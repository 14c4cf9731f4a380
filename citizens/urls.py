"""Public pages: /status/ (from the receipt's QR code), /survey/<token>/ (from the survey SMS), /online/ (网上反映)."""

from django.urls import path

from . import views

urlpatterns = [
    path("status/", views.StatusPageView.as_view(), name="public-status-page"),
    path("survey/<str:token>/", views.SurveyPageView.as_view(), name="public-survey"),
    path("online/", views.OnlineFormView.as_view(), name="public-online"),
    path("online/receipt/", views.OnlineReceiptView.as_view(), name="public-online-receipt"),
]
