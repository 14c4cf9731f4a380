"""Pages of the library (/library/): the staff library (search, filters, detail with its commands, draft and
edit forms, a quarter's typical cases to print or export), the public case library (/library/cases/,
anonymous, anonymised versions only), and the intake page's JSON suggestions and 按此案例办理.

Reads go through ``library.selectors`` (scoped; 404 for what the user may not see), writes through
``library.services``; a refusal (409 / 403 / 400) comes back as a message or form errors, never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from cases import selectors as case_selectors
from routing.models import Department
from windowsvc import freshness
from windowsvc.dbrouters import ReplicaReadMixin
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from windowsvc.paging import CappedPaginator

from . import exports, selectors, services, workflow
from .choices import WriteUpCommand
from .filtersets import WriteUpFilterSet
from .forms import NoteForm, QuarterForm, WriteUpForm
from .models import BlockerType

PAGE_SIZE = 20
SUGGEST_TEXT_MAX = 500
C = WriteUpCommand


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _writeup(request, pk: int):
    try:
        return selectors.writeup_get_visible(user=request.user, writeup_id=pk)
    except NotFound:
        raise Http404(_("未找到该案例。")) from None


def _case_departments(case):
    return Department.objects.filter(
        Q(case_assignments__case=case) | Q(pk=case.lead_department_id)
    ).distinct()


def _form_errors(form, exc: ValidationFailed) -> None:
    for name, errors in exc.errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


# --- Staff library ----------------------------------------------------------------------------------


class LibraryView(ReplicaReadMixin, LoginRequiredMixin, View):
    """案例库: the write-ups the user may see, searched by words and filtered."""

    def get(self, request):
        filterset = WriteUpFilterSet(request.GET, queryset=selectors.writeup_list_visible(user=request.user))
        queryset = filterset.qs
        if not request.GET.get("q", "").strip():
            queryset = queryset.order_by("-updated_at", "-pk")
        page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "filter": filterset,
            "page": page,
            "blocker_types": BlockerType.objects.all(),
            "query_string": params.urlencode(),
        }
        return render(request, "library/list.html", context)


class WriteUpDetailView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        writeup = _writeup(request, pk)
        context = {
            "writeup": writeup,
            "events": selectors.writeup_events(writeup=writeup),
            "allowed": workflow.allowed_commands(writeup, request.user),
            "commands": [(c.value, c.label) for c in C if c not in (C.CREATE, C.EDIT)],
            "note_form": NoteForm(),
        }
        return render(request, "library/detail.html", context)


class WriteUpCommandView(LoginRequiredMixin, View):
    def post(self, request, pk: int, command: str):
        if command not in services.SERVICES:
            raise Http404
        service = services.SERVICES[C(command)]
        try:
            service(
                actor=request.user,
                writeup_id=pk,
                note=request.POST.get("note", ""),
                expected_version=_int(request.POST.get("expected_version")),
            )
            messages.success(request, _("已%(command)s。") % {"command": C(command).label})
        except NotFound:
            raise Http404(_("未找到该案例。")) from None
        except (TransitionNotAllowed, PermissionDenied) as exc:
            messages.error(request, str(exc))
        except ValidationFailed as exc:
            messages.error(request, "；".join(m for ms in exc.errors.values() for m in ms))
        return redirect("library:detail", pk=pk)


class WriteUpCreateView(LoginRequiredMixin, View):
    """撰写案例 of one resolved or closed case the user may see."""

    def _case(self, request, case_id: int):
        try:
            return case_selectors.case_get_visible(user=request.user, case_id=case_id)
        except NotFound:
            raise Http404(_("未找到该案件。")) from None

    def get(self, request, case_id: int):
        case = self._case(request, case_id)
        initial = {"title": case.title, "problem": case.description, "solution": case.resolution_summary}
        form = WriteUpForm(initial=initial, departments=_case_departments(case))
        form.initial["departments"] = list(_case_departments(case).values_list("pk", flat=True))
        return render(request, "library/form.html", {"form": form, "case": case})

    def post(self, request, case_id: int):
        case = self._case(request, case_id)
        form = WriteUpForm(request.POST, departments=_case_departments(case))
        if form.is_valid():
            try:
                writeup = services.writeup_create(actor=request.user, case_id=case.pk, **form.cleaned_data)
                messages.success(request, _("案例草稿已保存。"))
                return redirect("library:detail", pk=writeup.pk)
            except ValidationFailed as exc:
                _form_errors(form, exc)
            except (TransitionNotAllowed, PermissionDenied) as exc:
                form.add_error(None, str(exc))
        return render(request, "library/form.html", {"form": form, "case": case}, status=400)


class WriteUpEditView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        writeup = _writeup(request, pk)
        initial = {name: getattr(writeup, name) for name in (*services.TEXT_FIELDS, "enterprise_consent")}
        initial["blocker_type"] = writeup.blocker_type_id
        initial["departments"] = list(writeup.departments.values_list("pk", flat=True))
        form = WriteUpForm(initial=initial, departments=_case_departments(writeup.case))
        return render(request, "library/form.html", {"form": form, "case": writeup.case, "writeup": writeup})

    def post(self, request, pk: int):
        writeup = _writeup(request, pk)
        form = WriteUpForm(request.POST, departments=_case_departments(writeup.case))
        if form.is_valid():
            try:
                services.writeup_edit(
                    actor=request.user,
                    writeup_id=pk,
                    expected_version=_int(request.POST.get("expected_version")),
                    **form.cleaned_data,
                )
                messages.success(request, _("案例已修改。"))
                return redirect("library:detail", pk=pk)
            except ValidationFailed as exc:
                _form_errors(form, exc)
            except (TransitionNotAllowed, PermissionDenied) as exc:
                form.add_error(None, str(exc))
        context = {"form": form, "case": writeup.case, "writeup": writeup}
        return render(request, "library/form.html", context, status=400)


def _quarter(request) -> tuple[int, int]:
    form = QuarterForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["year"], form.cleaned_data["quarter"]
    today = timezone.localdate()
    return today.year, (today.month - 1) // 3 + 1


class TypicalView(ReplicaReadMixin, LoginRequiredMixin, View):
    """A quarter's typical cases, printable; ``?format=xlsx`` downloads them."""

    def get(self, request):
        year, quarter = _quarter(request)
        writeups = selectors.typical_of_quarter(user=request.user, year=year, quarter=quarter)
        if request.GET.get("format") == "xlsx":
            return exports.typical_xlsx(writeups, filename=f"typical-{year}-Q{quarter}.xlsx")
        return render(
            request, "library/typical.html", {"writeups": writeups, "year": year, "quarter": quarter}
        )


# --- Public case library ----------------------------------------------------------------------------


class PublicLibraryView(ReplicaReadMixin, View):
    """/library/cases/: published write-ups, anonymised, for anyone; search by words."""

    def get(self, request):
        return freshness.conditional_public_page(request, lambda: self.page(request))

    def page(self, request):
        q = request.GET.get("q", "").strip()[:SUGGEST_TEXT_MAX]
        page = CappedPaginator(selectors.public_writeups(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "library/public_list.html", {"page": page, "q": q})


class PublicWriteUpView(ReplicaReadMixin, View):
    def get(self, request, pk: int):
        return freshness.conditional_public_page(request, lambda: self.page(request, pk))

    def page(self, request, pk: int):
        try:
            writeup = selectors.public_writeup_get(writeup_id=pk)
        except NotFound:
            raise Http404(_("未找到该案例。")) from None
        return render(request, "library/public_detail.html", {"writeup": writeup})


# --- Intake: suggestions and 按此案例办理 ------------------------------------------------------------


class SuggestView(LoginRequiredMixin, View):
    """JSON for the intake page: the most similar published write-ups and solved cases for ``q`` (the matter's
    title and description, never personal data), in the county of ``window``, scoped to the clerk."""

    def get(self, request):
        q = request.GET.get("q", "")[:SUGGEST_TEXT_MAX]
        found = selectors.intake_suggestions(
            user=request.user, q=q, window_id=_int(request.GET.get("window"))
        )
        return JsonResponse(
            {
                "results": [
                    {
                        "kind": s.kind,
                        "id": s.id,
                        "title": s.title,
                        "solution": s.solution[:300],
                        "by": s.by,
                        "year": s.year,
                    }
                    for s in found
                ]
            }
        )


class FollowView(LoginRequiredMixin, View):
    """POST: 按此案例办理 — the clerk follows a suggestion; kept under the intake form's key until the case
    exists (``services.writeup_reuse_choose``)."""

    def post(self, request):
        kind = request.POST.get("kind")
        source = _int(request.POST.get("id"))
        try:
            reuse = services.writeup_reuse_choose(
                actor=request.user,
                intake_key=request.POST.get("key", ""),
                writeup_id=source if kind == "writeup" else None,
                source_case_id=source if kind == "case" else None,
            )
        except NotFound:
            return JsonResponse({"detail": _("未找到。")}, status=404)
        except ValidationFailed as exc:
            return JsonResponse(exc.errors, status=400)
        return JsonResponse({"id": reuse.pk}, status=201)
