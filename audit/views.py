"""The auditor's page (/audit/): case events of their subtree, the configuration history, the digests."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.views.generic import TemplateView
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from . import selectors


class AuditView(LoginRequiredMixin, TemplateView):
    template_name = "audit/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        tracking_number = self.request.GET.get("case", "")[:32]
        try:
            events = selectors.case_events_audited(user=user, tracking_number=tracking_number)
        except ApiPermissionDenied:
            raise PermissionDenied from None
        page = Paginator(events, 50).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "case": tracking_number,
            "page": page,
            "history": selectors.config_history(user=user, model=self.request.GET.get("model", "")[:40]),
            "models": selectors.history_models(),
            "digests": selectors.chain_digests(user=user)[:7],
        }
