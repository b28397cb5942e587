"""Prometheus metrics of the integration side and of stage timing, read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import case, func, select

from core.runtime import Runtime
from storage.models import Event, StageRun
from webhooks.models import WebhookDelivery

# Seconds; OCR of a long scan takes minutes, routing takes milliseconds.
STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


class IntegrationCollector:
    """Webhook deliveries by status, the auto-validation rate, and stage durations as histograms."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        with self.runtime.db.session() as session:
            yield self._deliveries(session)
            yield self._failures(session)
            yield self._auto_validation(session)
            yield self._stage_histogram(session)

    def _deliveries(self, session) -> Metric:  # type: ignore[no-untyped-def]
        metric = GaugeMetricFamily("quinte_webhook_deliveries", "Webhook deliveries by status",
                                   labels=["status"])
        counts = dict(session.execute(select(WebhookDelivery.status, func.count())
                                      .group_by(WebhookDelivery.status)).all())
        for status in ("pending", "delivered", "dead"):
            metric.add_metric([status], float(counts.get(status, 0)))
        return metric

    def _failures(self, session) -> Metric:  # type: ignore[no-untyped-def]
        metric = GaugeMetricFamily("quinte_webhook_deliveries_failing",
                                   "Pending webhook deliveries whose last attempt failed")
        failing = session.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.status == "pending", WebhookDelivery.attempts > 0))
        metric.add_metric([], float(failing or 0))
        return metric

    def _auto_validation(self, session) -> Metric:  # type: ignore[no-untyped-def]
        """Of the records the machine decided on, the share it validated without a person."""
        metric = GaugeMetricFamily("quinte_auto_validation_ratio",
                                   "Records validated automatically / records routed (validated or sent to review)")
        automatic = session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "record.validated", Event.actor == "system"))
        to_review = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "record.needs_review"))
        routed = (automatic or 0) + (to_review or 0)
        metric.add_metric([], (automatic or 0) / routed if routed else 0.0)
        return metric

    def _stage_histogram(self, session) -> Metric:  # type: ignore[no-untyped-def]
        metric = HistogramMetricFamily("quinte_stage_duration_seconds", "Duration of successful stage runs",
                                       labels=["stage"])
        seconds = StageRun.duration_ms / 1000.0
        columns = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in STAGE_BUCKETS]
        rows = session.execute(
            select(StageRun.stage, func.count(), func.coalesce(func.sum(seconds), 0.0), *columns)
            .where(StageRun.status == "done", StageRun.duration_ms.is_not(None)).group_by(StageRun.stage)
        ).all()
        for stage, count, total, *cumulative in rows:
            buckets = [(str(bound), float(n or 0)) for bound, n in zip(STAGE_BUCKETS, cumulative, strict=True)]
            buckets.append(("+Inf", float(count)))
            metric.add_metric([stage], buckets, float(total))
        return metric
