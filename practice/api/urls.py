"""API of the practice app (/api/v1/)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
