"""API permission of the organisation: reads follow the scope, writes need the role's permission and scope."""

from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions


class OrganisationPermissions(DjangoModelPermissions):
    """Who may read and write regions, departments and windows through the API.

    - Reads: any authenticated user; *which* rows is decided by the queryset's ``visible_to(user)``.
    - Create: the role's ``add_<model>`` permission (administrators); the serializer then only accepts a
      region the user administers.
    - Update: decided per object, after the object was found in the visible queryset, so an object outside
      the scope answers 404 like a missing one; a visible object needs the role's ``change_<model>``
      permission and must lie in the user's administered subtree, else 403.
    """

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or getattr(view, "detail", False):
            return True
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        if not super().has_permission(request, view):
            return False
        return type(obj).objects.administered_by(request.user).filter(pk=obj.pk).exists()
