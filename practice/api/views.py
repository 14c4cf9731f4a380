"""API of 共性问题 and 常态建设 (/api/v1/recurring-problems/, /api/v1/practice-items/ and their command
POSTs). Querysets are scoped by ``visible_to`` (``ScopedViewSetMixin``): another county's rows are 404; a
refused command answers 409 (state), 403 (role) or 400 (input) through the project's exception handler."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from windowsvc.api.schema import ErrorSerializer, conflict
from windowsvc.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin

from .. import selectors, services
from ..models import PracticeItem, RecurringProblem
from . import serializers as s

CONFLICT = conflict(s.PracticeItemTransitionErrorSerializer)


class RecurringProblemViewSet(ScopedReadOnlyViewSet):
    queryset = RecurringProblem.objects.select_related("region", "category", "department")
    serializer_class = s.RecurringProblemSerializer
    lookup_value_regex = r"\d+"
    filterset_fields = ["kind"]

    @extend_schema(responses=s.RecurringProblemDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        problem = self.get_object()
        cases = selectors.problem_cases(user=request.user, problem=problem)[:500]
        return Response(s.RecurringProblemDetailSerializer(problem, context={"cases": list(cases)}).data)


def _command(name: str):
    serializer_class = s.COMMAND_SERIALIZERS[name]

    def endpoint(self, request, pk=None):
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        services.SERVICES[name](actor=request.user, item_id=int(pk), **data.validated_data)
        return self._detail(int(pk))

    endpoint.__name__ = name
    endpoint = action(detail=True, methods=["post"], url_path=name)(endpoint)
    # After @action, which would otherwise replace the schema kept in the function's kwargs.
    return extend_schema(
        request=serializer_class,
        responses={200: s.PracticeItemDetailSerializer, 409: CONFLICT},
        summary=name,
    )(endpoint)


class PracticeItemViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = PracticeItem.objects.select_related("responsible_department", "region")
    serializer_class = s.PracticeItemSerializer
    lookup_value_regex = r"\d+"
    filterset_fields = ["status", "measure", "source_problem"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _detail(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        item = selectors.item_get_visible(user=self.request.user, item_id=pk)
        context = {
            "allowed": services.allowed_commands(item, self.request.user),
            "effect": selectors.item_effect(item),
        }
        return Response(s.PracticeItemDetailSerializer(item, context=context).data, status=status_code)

    @extend_schema(responses=s.PracticeItemDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(int(pk))

    @extend_schema(
        request=s.ItemCreateSerializer,
        responses={
            201: s.PracticeItemDetailSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description="The problem does not exist or is outside the user's scope."
            ),
        },
    )
    def create(self, request):
        data = s.ItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = services.practice_item_create(
            actor=request.user,
            problem_id=values["problem"],
            measure=values["measure"],
            description=values["description"],
            department_id=values["department"],
            title=values.get("title", ""),
            days=values.get("days"),
        )
        return self._detail(item.pk, status_code=status.HTTP_201_CREATED)

    progress = _command("progress")
    submit = _command("submit")
    accept = _command("accept")
    reject = _command("reject")
    cancel = _command("cancel")
