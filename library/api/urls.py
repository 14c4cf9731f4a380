"""API of the library app (/api/v1/)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
