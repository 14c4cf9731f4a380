"""Public pages (zh-hans, mobile first): the status page (/status/), the satisfaction survey (/survey/<token>/)
and the online form (/online/, its receipt /online/receipt/).

Both are anonymous. The status page runs the same lookup and the same rate limits as the status API
(``citizens.api.views``): the QR code on the receipt opens it with ``?n=<tracking number>`` filled in, the
secret is typed and sent by POST (with CSRF), never put in the URL. The survey page records the answer
through ``citizens.services.survey_answer``; an unknown, used, expired or superseded link gets one and the
same message.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views import View

from cases.models import Case
from cases.surveys import SurveyLinkInvalid, survey_token_get
from cases.views import qr_svg, status_page_url
from windowsvc.errors import ValidationFailed

from . import ratelimit
from .api.views import lookup_limits
from .forms import OnlineForm, StatusForm, SurveyForm
from .lookup import TRACKING_NUMBER_RE, status_lookup
from .online import TooManyRequests, online_submit, region_choices
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


# --- The online form (网上反映) ------------------------------------------------------------------------

RECEIPT_SESSION_KEY = "online_receipt_case"
_FIELD_OF = {
    "requester.kind": "kind",
    "requester.name": "name",
    "requester.phone": "phone",
    "requester.id_number": "id_number",
    "requester.credit_code": "credit_code",
    "requester.contact_name": "contact_name",
    "requester.address": "address",
}


def online_errors_to_form(form, errors) -> None:
    """Field errors of ``online_submit`` (and of intake) onto the page's form fields."""
    for field, messages in errors.items():
        name = _FIELD_OF.get(field, field)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class OnlineFormView(View):
    """网上反映: the public, mobile-first submission page (``citizens.online``)."""

    template_name = "public/online.html"

    def get(self, request):
        return self.render(request, OnlineForm(region_choices=region_choices()))

    def post(self, request):
        form = OnlineForm(request.POST, request.FILES, region_choices=region_choices())
        if not form.is_valid():
            return self.render(request, form, status=400)
        data = form.cleaned_data
        try:
            submitted = online_submit(
                requester={
                    "kind": data["kind"],
                    "name": data["name"],
                    "phone": data["phone"],
                    "id_number": data["id_number"],
                    "credit_code": data["credit_code"],
                    "contact_name": data["contact_name"],
                    "address": data["address"],
                },
                region=data["region"],
                title=data["title"],
                description=data["description"],
                expectation=data["expectation"],
                consent=data["consent"],
                sms_code=data["sms_code"],
                files=request.FILES.getlist("attachments"),
                address=ratelimit.client_address(request),
            )
        except ValidationFailed as exc:
            online_errors_to_form(form, exc.errors)
            return self.render(request, form, status=400)
        except TooManyRequests:
            return self.render(request, form, outcome="too_many", status=429)
        except ratelimit.RateLimitUnavailable:
            return self.render(request, form, outcome="unavailable", status=503)
        request.session[RECEIPT_SESSION_KEY] = submitted.case.pk
        return redirect("public-online-receipt")

    def render(self, request, form, *, outcome: str = "", status: int = 200):
        context = {"form": form, "outcome": outcome}
        return _private(render(request, self.template_name, context, status=status))


class OnlineReceiptView(View):
    """The receipt of the submission this browser just made (its case id is in the session only)."""

    template_name = "public/online_receipt.html"

    def get(self, request):
        case_id = request.session.get(RECEIPT_SESSION_KEY)
        case = Case.objects.select_related("window").filter(pk=case_id).first() if case_id else None
        if case is None:
            return redirect("public-online")
        url = status_page_url(case)
        context = {
            "case": case,
            "status_url": url,
            "qr_svg": mark_safe(qr_svg(url)),  # noqa: S308 (segno's SVG of our own URL, no user markup)
        }
        return _private(render(request, self.template_name, context))
