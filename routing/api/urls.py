"""Staff API routes of the organisation (mounted at /api/v1/)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from windowsvc.api.tokens import TokenLoginView, TokenLogoutAllView, TokenLogoutView

from .views import DepartmentViewSet, MeView, RegionViewSet, ServiceWindowViewSet, UserViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("departments", DepartmentViewSet, basename="department")
router.register("windows", ServiceWindowViewSet, basename="window")
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    # POST username + password → {"token": …, "expiry": …}; then send "Authorization: Token …"
    # (windowsvc/api/tokens.py: hashed, expiring, revoked on logout and on a password change).
    path("auth/token/", TokenLoginView.as_view(), name="api-token"),
    path("auth/logout/", TokenLogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", TokenLogoutAllView.as_view(), name="api-logout-all"),
    *router.urls,
]
