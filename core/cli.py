"""The ``quinte`` command line (interfaces.md §2): process, up, watch, worker, serve, check, samples, users."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.config import ConfigError
from core.settings import Settings, load_settings
from protocol.cli import protocol_app
from webhooks.cli import webhooks_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help="quinte: back-office document capture.")
users_app = typer.Typer(no_args_is_help=True, help="Manage the people who sign in.")
app.add_typer(users_app, name="users")
app.add_typer(protocol_app, name="protocol")
app.add_typer(webhooks_app, name="webhooks")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def _runtime(settings: Settings, *, migrate: bool = True):  # type: ignore[no-untyped-def]
    from core.runtime import build_runtime

    try:
        return build_runtime(settings, migrate=migrate)
    except ConfigError as exc:
        console.print("[red]pipelines.yaml is not valid:[/red]")
        for problem in exc.problems:
            console.print(f"  • {problem}")
        raise typer.Exit(2) from None


def _logging(level: str = "INFO") -> None:
    from core.logs import configure_logging

    configure_logging(level)


@app.command()
def process(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to process")],
    out: Annotated[Path, typer.Option("--out", help="folder for the JSON records")],
    pipeline: Annotated[str | None, typer.Option(help="pipeline name (default: automatic classification)")] = None,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="documents processed at once")] = os.cpu_count() or 1,
) -> None:
    """Run the automatic stages over files, without a server; one JSON per input in OUT."""
    from core.batch import collect_inputs, run_batch

    _logging("WARNING")
    inputs = collect_inputs(paths)
    if not inputs:
        console.print("[red]no input files found[/red]")
        raise typer.Exit(2)
    settings = _settings()
    try:
        summary = run_batch(settings, inputs, out, pipeline=pipeline, jobs=jobs,
                            progress=sys.stderr.isatty(), console=console)
    except ConfigError as exc:
        for problem in exc.problems:
            console.print(f"[red]{problem}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{summary.records} records, {summary.errors} unreadable, written to {out}")


@app.command()
def up(samples: Annotated[int, typer.Option(help="drop this many generated sample scans into the inboxes")] = 0,
       threads: Annotated[int, typer.Option(min=1, max=32, help="worker threads")] = os.cpu_count() or 1) -> None:
    """Watcher, workers and web server in one process, on the embedded defaults."""
    from core.services import run_all_in_one

    _logging()
    settings = _settings()
    runtime = _runtime(settings)
    run_all_in_one(runtime, samples=samples, threads=threads)


@app.command()
def watch() -> None:
    """Only the inbox watcher; stages go to the configured broker."""
    from contracts.deadlines import run_deadline_scanner
    from core.queue import make_dispatcher
    from core.services import sweep_stalled
    from ingest.watcher import InboxWatcher
    from protocol.daily import run_daily_scheduler

    _logging()
    runtime = _runtime(_settings())
    dispatcher = make_dispatcher(runtime)
    stop = _stop_on_signals()
    # The one watcher of a deployment also re-sends documents whose messages were lost (idle QUINTE_STALL_SECONDS).
    threading.Thread(target=sweep_stalled, args=(runtime, dispatcher, stop), name="sweeper", daemon=True,
                     kwargs={"idle_seconds": runtime.settings.stall_seconds,
                             "every": runtime.settings.sweep_seconds}).start()
    # …and runs the deployment's schedules: the daily protocol register and contract deadline events.
    threading.Thread(target=run_daily_scheduler, args=(runtime, stop), name="protocol-daily", daemon=True).start()
    threading.Thread(target=run_deadline_scanner, args=(runtime, stop), name="contract-deadlines", daemon=True).start()
    console.print(f"watching {runtime.inbox_dir.resolve()} for {', '.join(runtime.config.pipelines)}")
    InboxWatcher(runtime, dispatcher).run(stop)


@app.command()
def worker(queues: Annotated[list[str] | None, typer.Option("--queues", help="queues to consume (default all)")] = None,
           threads: Annotated[int, typer.Option(min=1, max=32)] = 2,
           max_memory_mb: Annotated[int | None, typer.Option(
               min=256, envvar="QUINTE_WORKER_MAX_MEMORY_MB",
               help="address-space limit of this worker and its OCR/render children, in MB")] = None) -> None:
    """A worker consuming stage and webhook-dispatch messages from the configured broker."""
    from core.queue import DramatiqDispatcher, make_broker
    from core.services import start_integration_tick

    _logging()
    if max_memory_mb:
        _limit_memory(max_memory_mb)
    runtime = _runtime(_settings())
    dispatcher = DramatiqDispatcher(runtime, make_broker(runtime.settings.broker_url))
    stop = _stop_on_signals()
    running = dispatcher.worker(queues=queues, threads=threads)
    running.start()
    tick = start_integration_tick(runtime, dispatcher, stop, queues=queues)  # only with the webhooks queue
    console.print(f"worker consuming {', '.join(queues or dispatcher.queue_names())}")
    stop.wait()
    running.stop()
    if tick is not None:
        tick.join(timeout=15)
    runtime.close()


@app.command()
def serve() -> None:
    """Only the web server (review UI and API); uploads go to the configured broker."""
    from core.queue import make_dispatcher
    from core.services import serve_app
    from review_ui.app import create_app

    _logging()
    runtime = _runtime(_settings())
    _print_admin_password(runtime)
    application = create_app(runtime, make_dispatcher(runtime))
    serve_app(application, runtime.settings.host, runtime.settings.port)
    runtime.close()


@app.command()
def check() -> None:
    """Validate configuration and connect to every configured service; non-zero on any problem."""
    from core.checks import run_checks

    ok = run_checks(console)
    raise typer.Exit(0 if ok else 1)


@app.command()
def samples(out: Annotated[Path, typer.Option("--out")], count: Annotated[int, typer.Option(min=1)] = 10,
            seed: Annotated[int, typer.Option()] = 1) -> None:
    """Generate synthetic scans with ground-truth JSON."""
    from samples.generate import generate

    made = generate(out, count=count, seed=seed)
    console.print(f"{len(made)} samples written to {out}")


@users_app.command("add")
def users_add(username: str, role: Annotated[str, typer.Option(help="operator, reviewer, approver, "
                                                               "protocol_admin or admin")],
              password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                                    envvar="QUINTE_NEW_USER_PASSWORD")]) -> None:
    """Create a user who signs in with a password."""
    from review_ui.auth import create_user

    runtime = _runtime(_settings())
    try:
        create_user(runtime.db, username, password, role)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"user {username} ({role}) created")


def _print_admin_password(runtime) -> None:  # type: ignore[no-untyped-def]
    from review_ui.auth import ensure_admin

    password = runtime.settings.admin_password.get_secret_value() if runtime.settings.admin_password else None
    generated = ensure_admin(runtime.db, password)
    if generated:
        # Printed once, on the first start only; the hash is all that is kept.
        print(f"admin password: {generated}", flush=True)


def _limit_memory(megabytes: int) -> None:
    """Cap the address space: a document that slips past the intake limits fails with MemoryError, not the host."""
    import resource

    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


logging.getLogger("pdfminer").setLevel(logging.WARNING)
