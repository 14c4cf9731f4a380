"""Staff API routes of the organisation."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
