"""Pages of the practice app (/practice/)."""

from django.urls import path

from . import views

app_name = "practice"

urlpatterns = [
    path("", views.ProblemListView.as_view(), name="index"),
    path("problems/<int:pk>/", views.ProblemDetailView.as_view(), name="problem"),
    path("items/", views.ItemListView.as_view(), name="items"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item"),
    path("items/<int:pk>/evidence/", views.EvidenceView.as_view(), name="evidence"),
    path("items/<int:pk>/<slug:command>/", views.ItemActionView.as_view(), name="item-action"),
]
