"""Pages of the library app."""

from django.urls import path  # noqa: F401

app_name = "library"

urlpatterns: list = []
