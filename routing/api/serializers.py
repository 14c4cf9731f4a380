"""Serializers of the organisation API: regions, departments, windows, staff users and the current user.

Regions are referred to by their division code everywhere (``"region": "330681001"``). A writable region
reference only accepts regions the requesting user administers; one outside answers exactly like a code that
does not exist.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from ..choices import DepartmentRole, Tier
from ..models import Department, Membership, Region, ServiceWindow
from ..scoping import scope_for

User = get_user_model()


class AdministeredRegionField(serializers.SlugRelatedField):
    """A region given by its code, accepted only inside the requesting user's administered subtree."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        return Region.objects.administered_by(self.context["request"].user)


def _model_clean(instance) -> None:
    """Run the model's own invariants (``clean``) and report them as API field errors."""
    try:
        instance.clean()
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict) from exc


class RegionSerializer(serializers.ModelSerializer):
    parent = AdministeredRegionField(required=False, allow_null=True, help_text=_("上级区划代码"))

    class Meta:
        model = Region
        fields = ["id", "code", "name", "tier", "parent", "path"]
        read_only_fields = ["path"]

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Region):
            # An existing region is renamed in place; recoding or moving it would move a whole subtree
            # (and the rights of everyone in it), which is the organisation import's job.
            for name in ("code", "tier", "parent"):
                fields[name].read_only = True
        return fields

    def validate(self, attrs):
        if self.instance is None:
            if attrs.get("parent") is None and not self.context["request"].user.is_superuser:
                raise serializers.ValidationError({"parent": [_("请选择您管理范围内的上级区划。")]})
            _model_clean(Region(**attrs))
        return attrs


class DepartmentSerializer(serializers.ModelSerializer):
    region = AdministeredRegionField(help_text=_("所属区划代码"))
    region_name = serializers.CharField(source="region.name", read_only=True)
    tier = serializers.ChoiceField(source="region.tier", choices=Tier.choices, read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "role", "region", "region_name", "tier", "contact_phone", "is_active"]

    def validate(self, attrs):
        region = attrs.get("region") or getattr(self.instance, "region", None)
        role = attrs.get("role", getattr(self.instance, "role", DepartmentRole.HANDLING))
        was = getattr(self.instance, "role", None)
        user = self.context["request"].user
        changes_centre = DepartmentRole.COORDINATOR in (role, was) and role != was
        if changes_centre and region is not None and not scope_for(user).administers_county_of(region.path):
            raise exceptions.PermissionDenied(_("只有县级管理员可以设立或撤销协调中心。"))
        if region is not None:
            _model_clean(Department(region=region, role=role))
        return attrs


class ServiceWindowSerializer(serializers.ModelSerializer):
    region = AdministeredRegionField(help_text=_("所属区划代码"))
    region_name = serializers.CharField(source="region.name", read_only=True)
    tier = serializers.ChoiceField(source="region.tier", choices=Tier.choices, read_only=True)

    class Meta:
        model = ServiceWindow
        fields = [
            "id",
            "code",
            "name",
            "region",
            "region_name",
            "tier",
            "address",
            "opening_hours",
            "is_active",
        ]

    def validate(self, attrs):
        region = attrs.get("region") or getattr(self.instance, "region", None)
        if region is not None:
            _model_clean(ServiceWindow(region=region))  # no window above the county
        return attrs


class RegionTreeNodeSerializer(serializers.Serializer):
    """Shape of one node of ``/regions/tree/``; ``children`` holds nodes of the same shape."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    children = serializers.ListField(child=serializers.DictField())


def region_tree(regions) -> list[dict]:
    """Nest regions (ordered by path, so parents come first) into trees; returns the roots.

    A region whose parent is not among ``regions`` becomes a root, so a user's visible forest comes out
    as one tree per top region they can see. No queries beyond evaluating ``regions`` once.
    """
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for region in regions:
        node = {
            "id": region.pk,
            "code": region.code,
            "name": region.name,
            "tier": region.tier,
            "children": [],
        }
        nodes[region.pk] = node
        parent = nodes.get(region.parent_id)
        (parent["children"] if parent is not None else roots).append(node)
    return roots


class MembershipSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    department_name = serializers.CharField(
        source="department.name", read_only=True, default=None, allow_null=True
    )
    window_name = serializers.CharField(source="window.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "role",
            "role_display",
            "region",
            "region_name",
            "department",
            "department_name",
            "window",
            "window_name",
        ]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    """A staff user with the memberships the viewer may see (``visible_memberships``, prefetched)."""

    full_name = serializers.CharField(source="get_full_name", read_only=True)
    memberships = MembershipSerializer(source="visible_memberships", many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "memberships",
        ]
        read_only_fields = fields


class RegionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "tier"]


class DepartmentBriefSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "region"]


class ScopeSummarySerializer(serializers.Serializer):
    """What the user reaches: ``is_superuser`` means everything; otherwise the top regions of each reach."""

    is_superuser = serializers.BooleanField()
    oversees = RegionBriefSerializer(many=True, help_text=_("督办/管理/协调范围（含下级）"))
    administers = RegionBriefSerializer(many=True, help_text=_("可管理的组织机构范围（含下级）"))
    clerk_regions = RegionBriefSerializer(many=True, help_text=_("窗口受理范围（含下级）"))
    member_regions = RegionBriefSerializer(many=True, help_text=_("可查看的组织机构范围（含下级）"))
    departments = DepartmentBriefSerializer(many=True, help_text=_("所在部门"))


def scope_summary(user) -> dict:
    """The user's scope with regions and departments instead of paths and ids (two queries)."""
    scope = scope_for(user)
    paths = {*scope.oversight_paths, *scope.admin_paths, *scope.clerk_paths, *scope.member_paths}
    by_path = {r.path: r for r in Region.objects.filter(path__in=paths)} if paths else {}
    departments = (
        list(Department.objects.filter(pk__in=scope.department_ids).select_related("region"))
        if scope.department_ids
        else []
    )
    return {
        "is_superuser": scope.is_superuser,
        "oversees": [by_path[p] for p in scope.oversight_paths],
        "administers": [by_path[p] for p in scope.admin_paths],
        "clerk_regions": [by_path[p] for p in scope.clerk_paths],
        "member_regions": [by_path[p] for p in scope.member_paths],
        "departments": departments,
    }


class MeSerializer(serializers.ModelSerializer):
    """The current user: memberships, roles, Django permissions and the resolved scope."""

    full_name = serializers.CharField(source="get_full_name", read_only=True)
    memberships = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    scope = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "email",
            "is_superuser",
            "is_staff",
            "memberships",
            "roles",
            "permissions",
            "scope",
        ]
        read_only_fields = fields

    @extend_schema_field(MembershipSerializer(many=True))
    def get_memberships(self, user) -> list[dict]:
        memberships = user.memberships.select_related("region", "department", "window")
        return MembershipSerializer(memberships, many=True).data

    def get_roles(self, user) -> list[str]:
        return sorted(scope_for(user).roles)

    def get_permissions(self, user) -> list[str]:
        return sorted(user.get_all_permissions())

    @extend_schema_field(ScopeSummarySerializer)
    def get_scope(self, user) -> dict:
        return ScopeSummarySerializer(scope_summary(user)).data
