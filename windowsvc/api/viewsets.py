"""Base viewsets: the one place where API querysets are scoped to the requesting user."""

from rest_framework import viewsets


class ScopedViewSetMixin:
    """Every queryset passes through the model's ``visible_to(user)`` before anything else.

    Objects outside the user's scope are simply absent, so retrieving one answers 404 exactly like an
    object that does not exist.
    """

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass
