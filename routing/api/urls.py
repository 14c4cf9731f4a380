"""Staff API routes of the organisation (mounted at /api/v1/)."""

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from .views import DepartmentViewSet, MeView, RegionViewSet, ServiceWindowViewSet, UserViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("departments", DepartmentViewSet, basename="department")
router.register("windows", ServiceWindowViewSet, basename="window")
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    # POST username + password → {"token": …}; then send "Authorization: Token …".
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
