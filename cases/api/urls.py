"""Staff API routes of the closed loop (mounted at /api/v1/): cases and their commands, the department work
queue, extension requests, refusal reviews, reasons, categories. A SimpleRouter: the API root view belongs
to the organisation's router."""

from rest_framework.routers import SimpleRouter

from .views import (
    AssignmentQueueViewSet,
    CaseViewSet,
    CategoryViewSet,
    ExtensionViewSet,
    ReasonViewSet,
    RefusalReviewViewSet,
)

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("assignments", AssignmentQueueViewSet, basename="assignment")
router.register("extensions", ExtensionViewSet, basename="extension")
router.register("reviews", RefusalReviewViewSet, basename="review")
router.register("reasons", ReasonViewSet, basename="reason")
router.register("categories", CategoryViewSet, basename="category")

urlpatterns = router.urls
