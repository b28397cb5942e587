"""``quinte webhooks``: dispatch passes without the broker, for operators (the workers' actor does it otherwise)."""

from __future__ import annotations

from typing import Annotated

import typer

webhooks_app = typer.Typer(no_args_is_help=True, help="Webhook deliveries and scheduled exports.")


@webhooks_app.command("dispatch")
def dispatch(once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False) -> None:
    """Deliver webhook events and run scheduled exports by polling, beside or instead of the actor (safe anywhere)."""
    from core.cli import _logging, _runtime, _settings, _stop_on_signals
    from core.config import ConfigError
    from webhooks.loop import IntegrationLoop

    _logging()
    runtime = _runtime(_settings())
    try:
        loop = IntegrationLoop(runtime)
    except ConfigError as exc:
        typer.echo("\n".join(exc.problems), err=True)
        raise typer.Exit(2) from None
    if once:
        attempts = loop.run_once()
        typer.echo(f"{attempts} delivery attempts")
    else:
        loop.run(_stop_on_signals())
    runtime.close()
