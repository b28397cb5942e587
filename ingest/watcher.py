"""Watched inbox folders: take a file once it has stopped changing, then file it under .done or .quarantine."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from watchfiles import watch

from core.config import PipelineConfig
from core.errors import UnreadableDocument
from core.queue import Dispatcher
from core.runtime import Runtime
from ingest.intake import IntakeResult, accept_file, display_name, record_oversized, record_refused
from ingest.sniff import probe

log = logging.getLogger("quinte.watcher")
DONE = ".done"
QUARANTINE = ".quarantine"


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    unchanged_since: float


class FileStabilityTracker:
    """A file is stable once its size and mtime have not changed for ``stable_seconds``."""

    def __init__(self) -> None:
        self._seen: dict[Path, _Seen] = {}

    def observe(self, path: Path, size: int, mtime_ns: int, now: float) -> float:
        """Record the file's state; return for how many seconds it has not changed."""
        seen = self._seen.get(path)
        if seen is None or seen.size != size or seen.mtime_ns != mtime_ns:
            self._seen[path] = _Seen(size, mtime_ns, now)
            return 0.0
        return now - seen.unchanged_since

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def prune(self, present: set[Path]) -> None:
        for path in set(self._seen) - present:
            del self._seen[path]


def _unique_destination(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    candidate = folder / name
    counter = 1
    while candidate.exists() or candidate.is_symlink():
        stem, dot, suffix = name.rpartition(".")
        candidate = folder / (f"{stem}-{counter}.{suffix}" if dot and stem else f"{name}-{counter}")
        counter += 1
    return candidate


class InboxWatcher:
    """Watches ``inbox/<pipeline>/`` for every pipeline and feeds stable files to intake."""

    def __init__(self, runtime: Runtime, dispatcher: Dispatcher, *, unreadable_grace: float = 10.0) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher
        # A stable file that does not open yet may still be mid-copy (a scanner pausing); wait this long.
        self.unreadable_grace = unreadable_grace
        self.tracker = FileStabilityTracker()

    def folders(self) -> dict[Path, PipelineConfig]:
        return {self.runtime.inbox_dir / p.inbox_folder: p for p in self.runtime.config.pipelines.values()}

    def ensure_folders(self) -> None:
        for folder in self.folders():
            for sub in ("", DONE, QUARANTINE):
                (folder / sub).mkdir(parents=True, exist_ok=True)

    def scan_once(self, now: float | None = None) -> list[IntakeResult]:
        """Look at every inbox once and take what is ready; never raises for one bad file."""
        now = time.monotonic() if now is None else now
        results: list[IntakeResult] = []
        present: set[Path] = set()
        for folder, pipeline in self.folders().items():
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                folder.mkdir(parents=True, exist_ok=True)
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue  # our own .done/.quarantine, and scanners' hidden temporary files
                path = Path(entry.path)
                present.add(path)
                try:
                    result = self._consider(path, folder, pipeline, now)
                except Exception:
                    log.exception("could not take %s; it stays in the inbox and is tried again", path)
                    continue
                if result is not None:
                    results.append(result)
        self.tracker.prune(present)
        return results

    def _consider(self, path: Path, folder: Path, pipeline: PipelineConfig, now: float) -> IntakeResult | None:
        info = path.lstat()
        source = f"{self.runtime.inbox_dir.name}/{folder.name}/{display_name(path.name)}"
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                return None
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
            reason = f"{kind}: inbox entries are never followed or opened unless they are plain files"
            result = record_refused(self.runtime, pipeline.name, source=source, original_name=path.name,
                                    reason=reason)
            self._quarantine(path, folder, reason)
            return result
        unchanged = self.tracker.observe(path, info.st_size, info.st_mtime_ns, now)
        if unchanged < pipeline.intake.stable_seconds:
            return None
        if info.st_size > pipeline.intake.max_bytes:
            result = record_oversized(self.runtime, pipeline.name, info.st_size, source=source,
                                      original_name=path.name)
            self._quarantine(path, folder, result.reason or "too large")
            return result
        data = path.read_bytes()
        if len(data) != info.st_size:
            return None  # changed while we read it; look again next time
        if unchanged < self.unreadable_grace and not self._opens(data, pipeline):
            return None
        result = accept_file(self.runtime, pipeline.name, data, source=source, original_name=path.name)
        self.tracker.forget(path)
        if result.outcome == "quarantined":
            self._quarantine(path, folder, result.reason or "unreadable")
        else:
            self._file_away(path, folder, pipeline)
            if result.outcome == "accepted" and result.document_id and result.first_stage:
                self.dispatcher.submit(result.document_id, result.first_stage)
        return result

    @staticmethod
    def _opens(data: bytes, pipeline: PipelineConfig) -> bool:
        try:
            probe(data, max_pages=pipeline.intake.max_pages)
        except UnreadableDocument:
            return False
        return True

    def _file_away(self, path: Path, folder: Path, pipeline: PipelineConfig) -> None:
        if pipeline.intake.after == "delete":
            path.unlink(missing_ok=True)
        else:
            os.replace(path, _unique_destination(folder / DONE, path.name))

    def _quarantine(self, path: Path, folder: Path, reason: str) -> None:
        destination = _unique_destination(folder / QUARANTINE, path.name)
        os.replace(path, destination)
        reason_file = destination.with_name(destination.name + ".reason.txt")
        reason_file.write_text(reason + "\n", encoding="utf-8")
        log.warning("quarantined %s: %s", display_name(path.name), reason)

    def run(self, stop: threading.Event, *, poll_seconds: float = 0.5) -> None:
        """Scan on every file-system event, and at least every ``poll_seconds`` to notice files becoming stable."""
        self.ensure_folders()
        self.scan_once()
        for _changes in watch(*self.folders(), stop_event=stop, yield_on_timeout=True,
                              rust_timeout=int(poll_seconds * 1000), recursive=False, raise_interrupt=False):
            self.scan_once()
