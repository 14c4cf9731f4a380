from django.urls import path

from .views import AuditView

app_name = "audit"
urlpatterns = [path("", AuditView.as_view(), name="index")]
