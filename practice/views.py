"""Pages of 常态建设 (/practice/): recurring problems with their cases and counts, standing-practice items
with their history, deadline and actions. Reads are selectors (scoped: what the user may not see is 404),
writes the services; the forms only shape input."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from . import selectors, services
from .choices import ItemCommand, ItemStatus
from .forms import COMMAND_FORMS, ItemCreateForm

PAGE_SIZE = 50


def _errors_text(exc: ValidationFailed) -> str:
    return "；".join(str(m) for messages_ in exc.errors.values() for m in messages_)


class ProblemListView(LoginRequiredMixin, View):
    """共性问题: the clusters the user may see, newest first, with their counts."""

    def get(self, request):
        page = Paginator(selectors.problem_list_visible(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(
            request, "practice/problems.html", {"page_obj": page, "problems": list(page.object_list)}
        )


class ProblemDetailView(LoginRequiredMixin, View):
    """One cluster: its cases (those the user may see), its items, and — for its supervisors — the form
    that turns it into a standing-practice item."""

    def _context(self, request, problem, form=None):
        may_create = services.supervises(request.user, problem.region_path)
        if may_create and form is None:
            form = ItemCreateForm(
                departments=selectors.departments_for(user=request.user, region=problem.region),
                initial={"title": problem.title, "department": problem.department_id},
            )
        return {
            "problem": problem,
            "cases": list(selectors.problem_cases(user=request.user, problem=problem)[:200]),
            "items": list(problem.items.order_by("-created_at")),
            "form": form if may_create else None,
        }

    def _problem(self, request, pk):
        try:
            return selectors.problem_get_visible(user=request.user, problem_id=pk)
        except NotFound:
            raise Http404 from None

    def get(self, request, pk: int):
        problem = self._problem(request, pk)
        return render(request, "practice/problem.html", self._context(request, problem))

    def post(self, request, pk: int):
        problem = self._problem(request, pk)
        form = ItemCreateForm(
            request.POST, departments=selectors.departments_for(user=request.user, region=problem.region)
        )
        if not form.is_valid():
            return render(request, "practice/problem.html", self._context(request, problem, form), status=400)
        data = form.cleaned_data
        try:
            item = services.practice_item_create(
                actor=request.user,
                problem_id=problem.pk,
                title=data["title"],
                measure=data["measure"],
                description=data["description"],
                department_id=data["department"],
                days=data["days"],
            )
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None
        except ValidationFailed as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return render(request, "practice/problem.html", self._context(request, problem, form), status=400)
        messages.success(request, _("已立项常态建设事项 %(number)s。") % {"number": item.number})
        return redirect("practice:item", pk=item.pk)


class ItemListView(LoginRequiredMixin, View):
    """常态建设事项: the items the user may see (``?status=``), with their deadlines and lights."""

    def get(self, request):
        status = request.GET.get("status") or None
        page = Paginator(selectors.item_list_visible(user=request.user, status=status), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "practice/items.html",
            {
                "page_obj": page,
                "items": list(page.object_list),
                "status": status,
                "statuses": ItemStatus.choices,
                "now": timezone.now(),
            },
        )


class ItemDetailView(LoginRequiredMixin, View):
    """One item: its content, deadline and light, evidence, history, the forms of the commands the user may
    run now, and — once done — the matters of its cluster before and since."""

    def get(self, request, pk: int):
        try:
            item = selectors.item_get_visible(user=request.user, item_id=pk)
        except NotFound:
            raise Http404 from None
        allowed = services.allowed_commands(item, request.user)
        forms = [(command, ItemCommand(command).label, COMMAND_FORMS[command]()) for command in allowed]
        return render(
            request,
            "practice/item.html",
            {
                "item": item,
                "events": list(item.events.select_related("actor").order_by("sequence")),
                "forms": forms,
                "effect": selectors.item_effect(item),
            },
        )


class ItemActionView(LoginRequiredMixin, View):
    """POST one command on an item; refusals come back as messages on the item's page (404 stays 404)."""

    def post(self, request, pk: int, command: str):
        if command not in services.SERVICES:
            raise Http404
        form = COMMAND_FORMS[command](request.POST, request.FILES)
        back = reverse("practice:item", kwargs={"pk": pk})
        if not form.is_valid():
            messages.error(request, _("请填写必填项。"))
            return redirect(back)
        data = dict(form.cleaned_data)
        if command == "submit" and data.get("file") is None:
            data.pop("file", None)
        try:
            services.SERVICES[command](actor=request.user, item_id=pk, **data)
        except NotFound:
            raise Http404 from None
        except ValidationFailed as exc:
            messages.error(request, _("操作未执行：%(reason)s") % {"reason": _errors_text(exc)})
            return redirect(back)
        except (TransitionNotAllowed, PermissionDenied) as exc:
            messages.error(request, _("操作未执行：%(reason)s") % {"reason": exc})
            return redirect(back)
        messages.success(request, _("已%(command)s。") % {"command": ItemCommand(command).label})
        return redirect(back)


class EvidenceView(LoginRequiredMixin, View):
    """The evidence file of an item the user may see (never a public URL)."""

    def get(self, request, pk: int):
        try:
            item = selectors.item_get_visible(user=request.user, item_id=pk)
        except NotFound:
            raise Http404 from None
        if not item.evidence_file:
            raise Http404
        return FileResponse(
            item.evidence_file.open("rb"),
            as_attachment=True,
            filename=item.evidence_name or "evidence",
            content_type=item.evidence_content_type or "application/octet-stream",
        )
