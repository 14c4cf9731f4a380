"""API of the practice app (/api/v1/)."""

from rest_framework.routers import SimpleRouter

from .views import PracticeItemViewSet, RecurringProblemViewSet

router = SimpleRouter()
router.register("recurring-problems", RecurringProblemViewSet, basename="recurring-problem")
router.register("practice-items", PracticeItemViewSet, basename="practice-item")

urlpatterns = router.urls
