"""Querysets of the organisation, each with its ``visible_to(user)`` scoping method."""

from django.db import models

from .scoping import paths_q, scope_for


class RegionQuerySet(models.QuerySet):
    def subtree(self, region):
        """The region and everything below it: one indexed prefix query whatever the depth."""
        return self.filter(path__startswith=region.path)

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        return self.filter(paths_q("path", scope.member_paths))

    def administered_by(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        return self.filter(paths_q("path", scope.admin_paths))


class _RegionalQuerySet(models.QuerySet):
    """Shared scoping for objects that belong to one region (departments, windows)."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        return self.filter(paths_q("region__path", scope.member_paths))

    def administered_by(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        return self.filter(paths_q("region__path", scope.admin_paths))

    def active(self):
        return self.filter(is_active=True)


class DepartmentQuerySet(_RegionalQuerySet):
    pass


class ServiceWindowQuerySet(_RegionalQuerySet):
    pass


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        return self.filter(paths_q("region__path", scope.oversight_paths) | models.Q(user_id=user.pk))

    def administered_by(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        return self.filter(paths_q("region__path", scope.admin_paths))


def users_visible_to(user, queryset=None):
    """Users with a membership inside the viewer's oversight subtree, plus the viewer."""
    from django.contrib.auth import get_user_model

    qs = queryset if queryset is not None else get_user_model().objects.all()
    scope = scope_for(user)
    if scope.is_superuser:
        return qs
    from .models import Membership

    overseen = Membership.objects.filter(paths_q("region__path", scope.oversight_paths)).values("user_id")
    return qs.filter(models.Q(pk=user.pk) | models.Q(pk__in=overseen))


def users_administered_by(user, queryset=None):
    """Users an administrator may edit: every one of their memberships lies inside the administrator's
    subtree (so editing them cannot touch rights elsewhere), they have at least one, and they are not
    superusers. Superusers administer everyone.
    """
    from django.contrib.auth import get_user_model

    qs = queryset if queryset is not None else get_user_model().objects.all()
    scope = scope_for(user)
    if scope.is_superuser:
        return qs
    from .models import Membership

    inside = paths_q("region__path", scope.admin_paths)
    return qs.filter(is_superuser=False, pk__in=Membership.objects.filter(inside).values("user_id")).exclude(
        pk__in=Membership.objects.exclude(inside).values("user_id")
    )
