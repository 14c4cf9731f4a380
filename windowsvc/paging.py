"""Pagination whose count does not grow with the table: at most ``cap`` rows are counted and paged.

A search over 100,000 write-ups may match tens of thousands of them; nobody pages past the first few
hundred results of a relevance-ranked list, and counting every match costs as much as ranking it
(BENCHMARKS.md, "Library"). ``CappedPaginator`` counts ``LIMIT cap + 1`` rows: up to ``cap`` the count is
exact, beyond it the list is the first ``cap`` rows and ``capped`` says there were more ("1,000+").
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """A ``Paginator`` over at most ``cap`` rows of ``object_list`` (a queryset or a list)."""

    cap = COUNT_CAP

    @cached_property
    def _seen(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # Only which rows, not their order or annotations: a relevance rank is not computed to count.
            return rows.values("pk").order_by()[: self.cap + 1].count()
        return len(rows[: self.cap + 1])

    @cached_property
    def count(self) -> int:
        return min(self._seen, self.cap)

    @property
    def capped(self) -> bool:
        """More rows matched than were counted (shown as ``cap+``)."""
        return self._seen > self.cap


class CappedPagination(PageNumberPagination):
    """The API's page-number pagination over ``CappedPaginator``: ``count`` is exact up to 1,000 and
    ``count_capped`` is true when more matched (only the first 1,000 can be paged through)."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_capped": self.page.paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "更多结果未计数：只能翻阅前 1000 条（count 为 1000）。",
        }
        shape["required"] = [*shape.get("required", []), "count_capped"]
        return shape
