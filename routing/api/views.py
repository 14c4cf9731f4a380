"""Staff API of the organisation: regions (with tree), departments, windows, staff users and ``me``.

Every queryset goes through ``visible_to(user)`` (windowsvc/api/viewsets.py), so objects outside the
user's scope answer 404 exactly like missing ones. Writes: see ``OrganisationPermissions``.
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from windowsvc.api.viewsets import ScopedModelViewSet

from ..filtersets import DepartmentFilterSet, RegionFilterSet, ServiceWindowFilterSet, UserFilterSet
from ..models import Department, Membership, Region, ServiceWindow
from ..querysets import users_visible_to
from .permissions import OrganisationPermissions
from .serializers import (
    DepartmentSerializer,
    MeSerializer,
    RegionSerializer,
    RegionTreeNodeSerializer,
    ServiceWindowSerializer,
    UserSerializer,
    region_tree,
)

User = get_user_model()


class OrganisationViewSet(ScopedModelViewSet):
    """Read within scope; create and update by administrators inside their subtree; never delete here."""

    permission_classes = [OrganisationPermissions]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class RegionViewSet(OrganisationViewSet):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet

    @extend_schema(responses=RegionTreeNodeSerializer(many=True), filters=True)
    @action(detail=False, url_path="tree", url_name="forest", pagination_class=None)
    def forest(self, request):
        """The visible regions as nested trees, one per top region the user can see."""
        return Response(region_tree(self.filter_queryset(self.get_queryset())))

    @extend_schema(responses=RegionTreeNodeSerializer, filters=False)
    @action(detail=True)
    def tree(self, request, pk=None):
        """The region and its whole subtree, nested; one query whatever the depth."""
        region = self.get_object()
        return Response(region_tree(self.get_queryset().subtree(region))[0])


class DepartmentViewSet(OrganisationViewSet):
    queryset = Department.objects.select_related("region")
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet


class ServiceWindowViewSet(OrganisationViewSet):
    queryset = ServiceWindow.objects.select_related("region")
    serializer_class = ServiceWindowSerializer
    filterset_class = ServiceWindowFilterSet


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Staff users the viewer may see (``users_visible_to``), each with the memberships the viewer may see.

    Read-only: users and their memberships are managed in the admin.
    """

    queryset = User.objects.order_by("username")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet

    def get_queryset(self):
        user = self.request.user
        memberships = Membership.objects.visible_to(user).select_related("region", "department", "window")
        return users_visible_to(user, super().get_queryset()).prefetch_related(
            Prefetch("memberships", queryset=memberships, to_attr="visible_memberships")
        )


class MeView(generics.RetrieveAPIView):
    """The current user: memberships, roles, permissions and scope."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user
