"""The in-app inbox: the current user's messages, unread count, mark read."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from windowsvc.api.viewsets import ScopedReadOnlyViewSet

from ..filtersets import NotificationFilterSet
from ..models import Notification
from ..services import notification_mark_all_read, notification_mark_read
from .serializers import NotificationSerializer, ReadAllSerializer, UnreadCountSerializer


class NotificationViewSet(ScopedReadOnlyViewSet):
    """The requesting user's in-app notifications, newest first (another user's answer 404)."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    ordering_fields = ["created_at"]
    lookup_value_regex = r"\d+"

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(user=request.user, notification_id=self.kwargs["pk"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notification_mark_all_read(user=request.user)})

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": Notification.objects.visible_to(request.user).unread().count()})
