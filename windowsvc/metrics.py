"""Prometheus metrics at ``/metrics`` (docs/DEPLOY.md, "Metrics").

Two kinds:
- **Request metrics** (django-prometheus' middleware pair): requests, latencies, answers by view and code.
  Counted per process; with several gunicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` so they are summed.
- **State gauges computed at scrape time** (``StateCollector``), read from the database and Redis when the
  scraper asks, so every web process answers the same numbers and nothing has to run in the background:
  ``windowsvc_queue_depth``, ``windowsvc_outbox_backlog`` and ``windowsvc_outbox_oldest_age_seconds``,
  ``windowsvc_sweep_due`` and ``windowsvc_sweep_lag_seconds`` (oldest due clock not yet fired),
  ``windowsvc_dead_letters``, ``windowsvc_beat_heartbeat_age_seconds``; a source that cannot be read
  answers ``windowsvc_scrape_error{source=…} 1`` instead of failing the whole scrape.

Access: ``Authorization: Bearer <METRICS_TOKEN>``; with no token configured only a direct loopback request
(no ``X-Forwarded-For``: not through the proxy) is answered. Others get 404, as if there were nothing here.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


class StateCollector(Collector):
    """The installation's state, read on each scrape (a handful of indexed queries and one Redis pipeline)."""

    def collect(self) -> Iterator[Metric]:
        from . import backlog

        errors = GaugeMetricFamily(
            "windowsvc_scrape_error", "1 when a source could not be read", labels=["source"]
        )
        try:
            depth = GaugeMetricFamily("windowsvc_queue_depth", "Celery messages waiting", labels=["queue"])
            for queue, n in backlog.queue_depths().items():
                depth.add_metric([queue], n)
            yield depth
            errors.add_metric(["redis"], 0)
        except Exception as exc:
            logger.warning("metrics: Redis unreadable: %s", type(exc).__name__)
            errors.add_metric(["redis"], 1)
        try:
            outboxes = backlog.outbox_backlogs()
            lag = backlog.sweep_lag()
            dead = backlog.dead_letters()
        except Exception as exc:
            logger.warning("metrics: database unreadable: %s", type(exc).__name__)
            errors.add_metric(["database"], 1)
        else:
            errors.add_metric(["database"], 0)
            due = GaugeMetricFamily(
                "windowsvc_outbox_backlog", "Outbox rows due, not sent", labels=["outbox"]
            )
            age = GaugeMetricFamily(
                "windowsvc_outbox_oldest_age_seconds", "Age of the oldest due outbox row", labels=["outbox"]
            )
            for name, b in outboxes.items():
                due.add_metric([name], b.count)
                age.add_metric([name], b.oldest_age_seconds)
            clocks = GaugeMetricFamily(
                "windowsvc_sweep_due", "Clocks with a step due, not fired", labels=["clock"]
            )
            clock_lag = GaugeMetricFamily(
                "windowsvc_sweep_lag_seconds", "How long the oldest due step has waited", labels=["clock"]
            )
            for name, b in lag.items():
                clocks.add_metric([name], b.count)
                clock_lag.add_metric([name], b.oldest_age_seconds)
            letters = GaugeMetricFamily(
                "windowsvc_dead_letters", "Outbox rows given up on", labels=["outbox"]
            )
            for name, n in dead.items():
                letters.add_metric([name], n)
            yield from (due, age, clocks, clock_lag, letters)
        heartbeat = _heartbeat_age()
        if heartbeat is not None:
            yield GaugeMetricFamily(
                "windowsvc_beat_heartbeat_age_seconds",
                "Seconds since beat's heartbeat task last ran",
                heartbeat,
            )
        yield errors


def _heartbeat_age() -> float | None:
    from django.core.cache import cache
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from .tasks import HEARTBEAT_KEY

    try:
        value = cache.get(HEARTBEAT_KEY)
    except Exception:
        return None
    moment = parse_datetime(value) if value else None
    return (timezone.now() - moment).total_seconds() if moment else None


def registry() -> CollectorRegistry:
    """This scrape's registry: the processes' request metrics (summed over gunicorn's workers in
    multiprocess mode, else this process's) and the state gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        scrape = CollectorRegistry()
        MultiProcessCollector(scrape)
    else:
        scrape = CollectorRegistry()
        scrape.register(_Forward(REGISTRY))
    scrape.register(StateCollector())
    return scrape


class _Forward(Collector):
    """The process-wide registry's metrics, without re-registering its collectors."""

    def __init__(self, source: CollectorRegistry):
        self.source = source

    def collect(self) -> Iterator[Metric]:
        return self.source.collect()


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return (
        request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers
    )


def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse(status=404)
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
