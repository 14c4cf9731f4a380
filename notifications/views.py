"""The inbox page: the user's in-app notifications, with mark-read buttons."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from windowsvc import errors

from .models import Notification
from .services import notification_mark_all_read, notification_mark_read


class InboxView(LoginRequiredMixin, ListView):
    template_name = "notifications/inbox.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        queryset = Notification.objects.visible_to(self.request.user).order_by("-created_at", "-id")
        if self.request.GET.get("unread") == "1":
            queryset = queryset.unread()
        return queryset


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


class MarkReadView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        try:
            notification_mark_read(user=request.user, notification_id=pk)
        except errors.NotFound:
            raise Http404 from None
        return _back(request)


class OpenView(LoginRequiredMixin, View):
    """Opening a notification's link from the inbox marks it read, then goes to the matter (a link on this
    site only; otherwise back to the inbox). Another user's notification is 404."""

    def get(self, request, pk: int):
        try:
            notification = notification_mark_read(user=request.user, notification_id=pk)
        except errors.NotFound:
            raise Http404 from None
        link = notification.link
        if link and url_has_allowed_host_and_scheme(
            link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(link)
        return redirect("notifications:inbox")


class MarkAllReadView(LoginRequiredMixin, View):
    def post(self, request):
        count = notification_mark_all_read(user=request.user)
        messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": count})
        return _back(request)
