"""Staff pages of the closed loop (/cases/): intake, receipt, department queue, case list and detail.

Every read goes through ``cases.selectors`` (built on ``Case.objects.visible_to``): a case outside the
user's scope answers 404 exactly like a missing one. Every write goes through ``cases.services``; the pages
show only the commands ``workflow.allowed_commands`` returns for the user now, and a refusal (the state
changed meanwhile, 409; not this user's to do, 403) comes back as a message on the case page, never a 500.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from routing.choices import StaffRole
from routing.models import Department
from routing.scoping import scope_for
from windowsvc.errors import (
    IdempotencyConflict,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from windowsvc.links import public_reverse
from windowsvc.paging import CappedPaginator

from . import events, selectors, services
from .choices import AssignmentStatus, EventKind, ReviewDecision, Satisfaction
from .filtersets import CaseFilterSet
from .forms import (
    COMMAND_FORMS,
    IntakeForm,
    RequesterSearchForm,
    apply_service_errors,
    command_form,
    intake_windows,
    new_idempotency_key,
    requester_terms_masked,
)
from .models import Case, CaseEvent

logger = logging.getLogger(__name__)

# The citizens' status page (citizens/ app, URL name ``public-status-page``); the receipt's QR code carries
# only the tracking number.
STATUS_PAGE_URL_NAME = "public-status-page"
PAGE_SIZE = 30


def _visible_case(request, pk: int) -> Case:
    try:
        return selectors.case_get_visible(user=request.user, case_id=pk)
    except NotFound:
        raise Http404(_("未找到该案件。")) from None


def status_page_url(case: Case) -> str:
    """The public status-page URL of a case (on ``PUBLIC_BASE_URL``), with the tracking number only (no
    query code)."""
    return public_reverse(STATUS_PAGE_URL_NAME, query=urlencode({"n": case.tracking_number}))


def qr_svg(text: str) -> str:
    """An inline SVG QR code (no external image, prints crisply)."""
    return segno.make(text, error="m").svg_inline(scale=4, border=2, title=text, svgclass="qr-code")


def expected_reply_at(case: Case):
    """The reply due time printed on the receipt (``Case.reply_due_at``, set from intake on; see
    docs/DEADLINES.md), or None for a case without one (the receipt then shows “以实际办理时限为准”)."""
    return getattr(case, "reply_due_at", None)


class WorkView(LoginRequiredMixin, View):
    """The nav's “工作台”: clerks land on intake, department staff on their queue, others on the list."""

    def get(self, request):
        scope = scope_for(request.user)
        if not scope.is_superuser and scope.has_role(StaffRole.CLERK):
            return redirect("cases:intake")
        if not scope.is_superuser and scope.has_role(StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD):
            return redirect("cases:queue")
        return redirect("cases:list")


# --- Intake -----------------------------------------------------------------------------------------


class IntakeView(LoginRequiredMixin, View):
    template_name = "cases/intake.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not intake_windows(request.user).exists():
            raise DjangoPermissionDenied(_("您不是任何受理窗口的工作人员。"))
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, request, form: IntakeForm, *, similar=None, status: int = 200):
        window = form.selected_window()
        categories = (
            selectors.category_search(user=request.user, county_path=window.region.path, limit=200)
            if window
            else []
        )
        context = {"form": form, "categories": categories, "similar_cases": similar or []}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_form(request, IntakeForm(user=request.user))

    def post(self, request):
        form = IntakeForm(request.POST, user=request.user)
        if not form.is_valid():
            similar = form.similar_cases() if "phone" in form.cleaned_data else []
            return self.render_form(request, form, similar=similar)
        similar = form.similar_cases()
        try:
            result = services.case_intake(actor=request.user, **form.intake_kwargs())
        except ValidationFailed as exc:
            apply_service_errors(form, exc)
            return self.render_form(request, form, similar=similar)
        except PermissionDenied as exc:
            form.add_error("window", str(exc))
            return self.render_form(request, form, similar=similar)
        except IdempotencyConflict:
            # The token of this form was already used for another input (e.g. edited after going back):
            # keep what was typed, give the form a new token, and let the clerk submit again knowingly.
            data = request.POST.copy()
            data["idempotency_key"] = new_idempotency_key()
            form = IntakeForm(data, user=request.user)
            form.is_valid()
            messages.error(request, _("此表单已提交过，内容与上次不同。请核对后再次提交。"))
            return self.render_form(request, form, similar=similar)
        case = result.case
        if result.replayed:
            logger.info("intake form submitted again: case %s", case.tracking_number)
        else:
            messages.success(request, _("已受理，受理编号 %(number)s。") % {"number": case.tracking_number})
            if similar:
                text = (
                    _("提醒：该反映人尚有未办结的同类案件：%(numbers)s。")
                    if form.cleaned_data.get("category")
                    else _("提醒：该反映人尚有未办结的案件：%(numbers)s。")
                )
                messages.warning(request, text % {"numbers": "、".join(c.tracking_number for c in similar)})
        return redirect("cases:receipt", pk=case.pk)


class CategorySearchView(LoginRequiredMixin, View):
    """JSON for the intake form's category search: active categories of the chosen window's county."""

    def get(self, request):
        windows = intake_windows(request.user)
        window = windows.filter(pk=_int(request.GET.get("window"))).first() or windows.first()
        if window is None:
            return JsonResponse({"results": []})
        found = selectors.category_search(
            user=request.user, county_path=window.region.path, text=request.GET.get("q", "").strip()[:50]
        )
        return JsonResponse(
            {
                "results": [
                    {"id": c.pk, "code": c.code, "name": c.name, "parent": c.parent.name if c.parent else ""}
                    for c in found
                ]
            }
        )


class SimilarCasesView(LoginRequiredMixin, View):
    """JSON for the intake form's warning: open visible cases of the same requester (and category).

    A POST (form-encoded, with the CSRF token): phone and id numbers never travel in a URL, where access
    logs, proxies and browser history would keep them."""

    http_method_names = ["post"]

    def post(self, request):
        data = request.POST
        params = {k: data.get(k, "").strip()[:32] for k in ("phone", "id_number", "credit_code")}
        if not any(params.values()):
            return JsonResponse({"results": []})
        category_id = None
        code = data.get("category", "").strip().split(" ")[0][:32]
        windows = intake_windows(request.user)
        window = windows.filter(pk=_int(data.get("window"))).first() or windows.first()
        if code and window is not None:
            matches = selectors.category_search(user=request.user, county_path=window.region.path, text=code)
            category_id = next((c.pk for c in matches if c.code.upper() == code.upper()), None)
        cases = selectors.requester_open_cases(user=request.user, category_id=category_id, **params)[:5]
        return JsonResponse(
            {
                "same_category": category_id is not None,
                "results": [
                    {
                        "tracking_number": c.tracking_number,
                        "title": c.title,
                        "status": c.get_status_display(),
                        "category": c.category.name if c.category else "",
                        "url": reverse("cases:detail", args=[c.pk]),
                    }
                    for c in cases
                ],
            }
        )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Receipt ----------------------------------------------------------------------------------------


class ReceiptView(LoginRequiredMixin, View):
    """回执单: what the requester takes home; printable (the page's print CSS hides the site chrome)."""

    template_name = "cases/receipt.html"

    def get(self, request, pk: int):
        case = _visible_case(request, pk)
        url = status_page_url(case)
        context = {
            "case": case,
            "requester": case.requester,
            "expected_reply_at": expected_reply_at(case),
            "status_url": url,
            "qr_svg": mark_safe(qr_svg(url)),  # noqa: S308 (segno's SVG of our own URL, no user markup)
        }
        return render(request, self.template_name, context)


class CaseDocumentView(LoginRequiredMixin, View):
    """交办单 / 督办通知书 / 协调会纪要 of a visible case, printable on A4 with the issuing body, number, date and
    a seal line (``selectors.case_document``); 404 when the case is not visible or has no such document."""

    template_name = "cases/document.html"

    def get(self, request, pk: int, kind: str):
        case = _visible_case(request, pk)
        try:
            document = selectors.case_document(user=request.user, case=case, kind=kind)
        except NotFound as exc:
            raise Http404(str(exc)) from None
        return render(request, self.template_name, {"case": case, "document": document})


# --- Department queue and case list -----------------------------------------------------------------

# Lazy: the labels are translated per request (a module-level gettext would freeze them in Chinese).
QUEUE_TABS = (
    ("to-sign", gettext_lazy("待签收"), AssignmentStatus.PENDING),
    ("in-progress", gettext_lazy("办理中"), AssignmentStatus.ACCEPTED),
    ("returned", gettext_lazy("已退回"), AssignmentStatus.RETURNED),
)


class QueueView(LoginRequiredMixin, View):
    """A department work queue: to sign for, in progress, returned (the user's departments); each row marks
    the 催办 / 督办 its case has had."""

    template_name = "cases/queue.html"

    def get(self, request):
        tabs = {key: (label, status) for key, label, status in QUEUE_TABS}
        current = request.GET.get("tab", "to-sign")
        if current not in tabs:
            current = "to-sign"
        sort = request.GET.get("sort", "urgency")
        sort = sort if sort in selectors.SORTS else "urgency"
        queues = {
            key: selectors.department_queue(user=request.user, status=status, sort=sort)
            for key, (_l, status) in tabs.items()
        }
        page = Paginator(queues[current], PAGE_SIZE).get_page(request.GET.get("page"))
        assignments = list(page.object_list)
        if current != "returned":
            selectors.work_rows_decorate(assignments, kind="assignment")
        # 催办 / 督办 marks of the page's cases: one query for the page.
        selectors.case_action_marks_attach(user=request.user, cases=[a.case for a in assignments])
        departments = scope_for(request.user).department_ids
        context = {
            "tabs": [
                {"key": key, "label": label, "count": queues[key].count(), "active": key == current}
                for key, label, _s in QUEUE_TABS
            ],
            "tab": current,
            "sort": sort,
            "page_obj": page,
            "assignments": assignments,
            "departments": Department.objects.filter(pk__in=sorted(departments)).order_by("code"),
        }
        return render(request, self.template_name, context)


class CaseListView(LoginRequiredMixin, ListView):
    """Cases the user may see, narrowed by the API's filters (``CaseFilterSet``, kept in the URL so a
    filtered list can be bookmarked) and by a requester search (posted and kept in the session: phones and
    id numbers never go into a URL); phones and searched numbers shown masked."""

    template_name = "cases/list.html"
    context_object_name = "cases"
    paginate_by = PAGE_SIZE
    # Counts up to 1,000 cases ("1000+" beyond): the count of a department's whole history is not worth
    # its cost on every page view (windowsvc/paging.py).
    paginator_class = CappedPaginator

    def requester_terms(self) -> dict:
        return dict(self.request.session.get(RequesterSearchForm.SESSION_KEY) or {})

    def get_queryset(self):
        self.filterset = CaseFilterSet(
            self.request.GET or None,
            queryset=selectors.case_list_visible(user=self.request.user),
            request=self.request,
        )
        queryset = self.filterset.qs if self.filterset.is_bound else self.filterset.queryset
        terms = self.requester_terms()
        if terms:
            queryset = selectors.case_requester_match(queryset, terms=terms)
        sort = self.request.GET.get("sort", "newest")
        self.sort = sort if sort in selectors.SORTS else "newest"
        return selectors.case_urgency_ordered(queryset, sort=self.sort)

    def post(self, request):
        """Store (or, with ``clear``, forget) the requester search, then show the list again (same filters)."""
        target = reverse("cases:list") + (f"?{request.GET.urlencode()}" if request.GET else "")
        if "clear" in request.POST:
            request.session.pop(RequesterSearchForm.SESSION_KEY, None)
            return redirect(target)
        form = RequesterSearchForm(request.POST)
        if not form.is_valid():
            self.requester_form = form
            return self.get(request)
        request.session[RequesterSearchForm.SESSION_KEY] = form.terms()
        return redirect(target)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        unsorted = query.copy()
        unsorted.pop("sort", None)
        terms = self.requester_terms()
        context.update(
            filterset=self.filterset,
            filter_form=self.filterset.form,
            query=query.urlencode(),
            query_unsorted=unsorted.urlencode(),
            sort=self.sort,
            requester_form=getattr(self, "requester_form", None) or RequesterSearchForm(),
            requester_search=requester_terms_masked(terms),
        )
        return context


# --- Case detail and commands -----------------------------------------------------------------------


def _department_names(timeline) -> dict[int, str]:
    ids: set[int] = set()
    for event in timeline:
        ids |= events.read(event).departments
    return dict(Department.objects.filter(pk__in=sorted(ids)).values_list("pk", "name")) if ids else {}


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d")


def event_details(event: CaseEvent, names: dict[int, str]) -> str:
    """A short human-readable line from an event's payload (departments named, choices labelled)."""
    payload = events.read(event)
    parts = []
    if payload.lead_department in names:
        parts.append((_("主办"), names[payload.lead_department]))
    assisting = [names[i] for i in payload.assisting_departments if i in names]
    if assisting:
        parts.append((_("协办"), "、".join(assisting)))
    if payload.requested_department in names:
        parts.append((_("接收部门"), names[payload.requested_department]))
    if payload.guidance:
        parts.append((_("告知途径"), payload.guidance))
    if payload.satisfaction in Satisfaction.values:
        parts.append((_("满意度"), Satisfaction(payload.satisfaction).label))
    if payload.cannot_be_done:
        parts.append((_("答复"), _("不能办理（报督办审核）")))
    elif payload.can_be_done is False:
        parts.append((_("答复"), _("暂不能办理")))
    if payload.follow_up_due_at:
        parts.append((_("预计办结"), _day(payload.follow_up_due_at)))
    if payload.decision in ReviewDecision.values:
        parts.append((_("审核意见"), ReviewDecision(payload.decision).label))
    if payload.late:
        parts.append((_("提示"), _("超过办理时限后撤回")))
    if payload.suspended_until and event.kind == EventKind.SUSPEND:
        parts.append((_("挂起至"), _day(payload.suspended_until)))
    if payload.contacted_requester:
        parts.append((_("联系"), _("已联系反映人")))
    if payload.pingpong_guard:
        parts.append((_("提示"), _("退回/转办次数超限，转协调中心")))
    return format_html_join("；", "{}：{}", parts)


class CaseDetailView(LoginRequiredMixin, View):
    template_name = "cases/detail.html"

    def get(self, request, pk: int):
        case = _visible_case(request, pk)
        allowed = selectors.case_allowed_commands(user=request.user, case=case)
        forms = [command_form(c, case=case, user=request.user) for c in allowed if c in COMMAND_FORMS]
        events = list(selectors.case_timeline(user=request.user, case_id=case.pk))
        names = _department_names(events)
        context = {
            "case": case,
            "requester": case.requester,
            "command_forms": forms,
            "assignments": selectors.case_assignments(user=request.user, case_id=case.pk),
            "timeline": [(event, event_details(event, names)) for event in events],
            "attachments": case.attachments.select_related("uploaded_by").order_by("id"),
            # The service's own rule (``case_attachment_add``): anyone who may act on the case now.
            "can_upload": bool(allowed) or request.user.is_superuser,
            "expected_reply_at": expected_reply_at(case),
            "action_marks": selectors.case_action_marks(user=request.user, case_ids=[case.pk]).get(case.pk),
            "timers": selectors.case_running_timers(case=case),
            "reviews": selectors.case_reviews(case=case),
            "documents": selectors.case_document_kinds(case=case),
            "now": timezone.now(),
        }
        return render(request, self.template_name, context)


class CaseActionView(LoginRequiredMixin, View):
    """One command on one case: GET shows its form alone, POST runs it through the service."""

    template_name = "cases/action.html"

    def setup_case(self, request, pk: int, command: str) -> Case:
        if command not in COMMAND_FORMS:
            raise Http404
        return _visible_case(request, pk)

    def render_form(self, request, form):
        return render(request, self.template_name, {"case": form.case, "form": form})

    def get(self, request, pk: int, command: str):
        case = self.setup_case(request, pk, command)
        if command not in selectors.case_allowed_commands(user=request.user, case=case):
            messages.error(request, _("您当前不能对该案件执行此操作。"))
            return redirect("cases:detail", pk=case.pk)
        return self.render_form(request, command_form(command, case=case, user=request.user))

    def post(self, request, pk: int, command: str):
        case = self.setup_case(request, pk, command)
        form = command_form(command, case=case, user=request.user, data=request.POST)
        if not form.is_valid():
            return self.render_form(request, form)
        try:
            form.run()
        except ValidationFailed as exc:
            apply_service_errors(form, exc)
            return self.render_form(request, form)
        except TransitionNotAllowed as exc:
            # 409: someone else changed the case meanwhile, or the state no longer allows it.
            messages.error(request, _("操作未执行：%(reason)s") % {"reason": exc})
            return redirect("cases:detail", pk=case.pk)
        except PermissionDenied as exc:
            messages.error(request, _("操作未执行：%(reason)s") % {"reason": exc})
            return redirect("cases:detail", pk=case.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("已%(command)s。") % {"command": form.label})
        try:
            selectors.case_get_visible(user=request.user, case_id=case.pk)
        except NotFound:
            return redirect("cases:work")
        return redirect("cases:detail", pk=case.pk)


# --- Attachments ------------------------------------------------------------------------------------

# Shown in the browser (inline); anything else is downloaded. Never HTML or SVG: those could run script.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


class AttachmentUploadView(LoginRequiredMixin, View):
    """上传附件 from the case page: the API's service (``services.case_attachment_add``) checks who may, the
    type and the size, so the page and the API refuse exactly the same files."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        case = _visible_case(request, pk)
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要上传的文件。"))
            return redirect(reverse("cases:detail", args=[case.pk]) + "#attachments")
        try:
            attachment = services.case_attachment_add(actor=request.user, case_id=case.pk, file=upload)
        except ValidationFailed as exc:
            errors = "；".join(str(m) for messages_ in exc.errors.values() for m in messages_)
            messages.error(request, _("附件未上传：%(reason)s") % {"reason": errors})
        except PermissionDenied as exc:
            messages.error(request, _("附件未上传：%(reason)s") % {"reason": exc})
        else:
            messages.success(request, _("已上传附件 %(name)s。") % {"name": attachment.original_name})
        return redirect(reverse("cases:detail", args=[case.pk]) + "#attachments")


class AttachmentView(LoginRequiredMixin, View):
    """One file of a case the user may see (404 otherwise, exactly like a missing one), streamed from
    storage: PDFs and images shown in the browser, anything else downloaded."""

    def get(self, request, pk: int, attachment_id: int):
        case = _visible_case(request, pk)
        attachment = case.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404(_("未找到该附件。"))
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=attachment.content_type not in INLINE_TYPES,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
