"""API of the library app (/api/v1/): write-ups and their commands, the reuse record."""

from rest_framework.routers import SimpleRouter

from .views import WriteUpReuseViewSet, WriteUpViewSet

router = SimpleRouter()
router.register("writeups", WriteUpViewSet, basename="writeup")
router.register("writeup-reuses", WriteUpReuseViewSet, basename="writeup-reuse")

urlpatterns = router.urls
