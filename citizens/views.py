"""Public pages (zh-hans, mobile first): the status page (/status/) and the satisfaction survey (/survey/<token>/).

Both are anonymous. The status page runs the same lookup and the same rate limits as the status API
(``citizens.api.views``): the QR code on the receipt opens it with ``?n=<tracking number>`` filled in, the
secret is typed and sent by POST (with CSRF), never put in the URL. The survey page records the answer
through ``citizens.services.survey_answer``; an unknown, used, expired or superseded link gets one and the
same message.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views import View

from cases.surveys import SurveyLinkInvalid, survey_token_get
from windowsvc.errors import ValidationFailed

from . import ratelimit
from .api.views import lookup_limits
from .forms import StatusForm, SurveyForm
from .lookup import TRACKING_NUMBER_RE, status_lookup
from .services import survey_answer


def _private(response):
    # What the page shows belongs to one requester: no shared cache keeps it. (The survey URL, a bearer
    # credential, leaves the site in no Referer: SecurityMiddleware's default policy is same-origin. A
    # stricter no-referrer would make browsers send ``Origin: null`` and fail the form's CSRF check.)
    response["Cache-Control"] = "no-store"
    return response


class StatusPageView(View):
    template_name = "public/status.html"

    def get(self, request):
        number = request.GET.get("n", "").strip()
        initial = {"tracking_number": number} if TRACKING_NUMBER_RE.match(number) else {}
        return self.render(request, StatusForm(initial=initial))

    def post(self, request):
        form = StatusForm(request.POST)
        if not form.is_valid():
            return self.render(request, form, status=400)
        credentials = form.credentials
        try:
            allowed = ratelimit.hit(lookup_limits(request, credentials))
        except ratelimit.RateLimitUnavailable:
            return self.render(request, form, outcome="unavailable", status=503)
        if not allowed:
            return self.render(request, form, outcome="too_many", status=429)
        result = status_lookup(credentials)
        if result is None:
            return self.render(request, form, outcome="not_found", status=404)
        # The secret is not echoed back into the page.
        form = StatusForm(initial={"tracking_number": credentials.tracking_number})
        return self.render(request, form, result=result)

    def render(self, request, form, *, result=None, outcome: str = "", status: int = 200):
        context = {"form": form, "result": result, "outcome": outcome}
        return _private(render(request, self.template_name, context, status=status))


class SurveyPageView(View):
    template_name = "public/survey.html"

    def get(self, request, token: str):
        try:
            row = survey_token_get(token=token)
        except SurveyLinkInvalid:
            return self.invalid(request)
        return self.render(request, row, SurveyForm())

    def post(self, request, token: str):
        try:
            row = survey_token_get(token=token)
        except SurveyLinkInvalid:
            return self.invalid(request)
        form = SurveyForm(request.POST)
        if not form.is_valid():
            return self.render(request, row, form, status=400)
        try:
            survey_answer(
                token=token,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except SurveyLinkInvalid:
            return self.invalid(request)
        except ValidationFailed as exc:
            for messages in exc.errors.values():
                for message in messages:
                    form.add_error(None, message)
            return self.render(request, row, form, status=400)
        return _private(
            render(
                request,
                self.template_name,
                {"done": True, "satisfaction": form.cleaned_data["satisfaction"]},
            )
        )

    def render(self, request, row, form, *, status: int = 200):
        case = row.case
        context = {
            "form": form,
            "tracking_number": case.tracking_number,
            "department": case.lead_department.name if case.lead_department_id else "",
            "resolved_at": case.resolved_at,
        }
        return _private(render(request, self.template_name, context, status=status))

    def invalid(self, request):
        """THE answer for every link that cannot be used (unknown, used, expired, superseded)."""
        return _private(render(request, self.template_name, {"invalid": True}, status=404))
