"""Prometheus metrics, read from the database at scrape time so every process reports the same truth."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from core.runtime import Runtime
from storage.models import Intake, Page, Record, StageRun
from webhooks.metrics import IntegrationCollector


class QuinteCollector:
    """Documents by status, intake outcomes, stage durations, OCR confidence, queue depth."""

    def __init__(self, runtime: Runtime, pending: callable) -> None:  # type: ignore[valid-type]
        self.runtime = runtime
        self.pending = pending

    def collect(self) -> Iterator[Metric]:
        records = GaugeMetricFamily("quinte_records", "Records by status and pipeline", labels=["status", "pipeline"])
        intake = GaugeMetricFamily("quinte_intake_files", "Files received, by outcome", labels=["outcome"])
        stages = GaugeMetricFamily("quinte_stage_seconds_mean", "Mean duration of successful stage runs",
                                   labels=["stage"])
        runs = GaugeMetricFamily("quinte_stage_runs", "Stage runs by stage and status", labels=["stage", "status"])
        confidence = GaugeMetricFamily("quinte_ocr_mean_confidence", "Mean OCR confidence over all pages")
        with self.runtime.db.session() as session:
            for status, pipeline, count in session.execute(
                select(Record.status, Record.pipeline, func.count()).group_by(Record.status, Record.pipeline)
            ):
                records.add_metric([status, pipeline], count)
            for outcome, count in session.execute(select(Intake.outcome, func.count()).group_by(Intake.outcome)):
                intake.add_metric([outcome], count)
            for stage, mean_ms in session.execute(
                select(StageRun.stage, func.avg(StageRun.duration_ms)).where(StageRun.status == "done")
                .group_by(StageRun.stage)
            ):
                stages.add_metric([stage], float(mean_ms or 0) / 1000)
            for stage, status, count in session.execute(
                select(StageRun.stage, StageRun.status, func.count()).group_by(StageRun.stage, StageRun.status)
            ):
                runs.add_metric([stage, status], count)
            mean = session.scalar(select(func.avg(Page.mean_confidence)))
            confidence.add_metric([], float(mean or 0))
        depth = GaugeMetricFamily("quinte_queue_depth", "Messages waiting in the in-process queue")
        depth.add_metric([], float(self.pending()))
        yield from (records, intake, stages, runs, confidence, depth)


def render_metrics(runtime: Runtime, pending: callable) -> bytes:  # type: ignore[valid-type]
    registry = CollectorRegistry()
    registry.register(QuinteCollector(runtime, pending))
    registry.register(IntegrationCollector(runtime))  # webhooks, auto-validation, stage histograms
    return generate_latest(registry)
