"""`quinte protocol`: verify the register's hash chain, produce a daily register."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console

protocol_app = typer.Typer(no_args_is_help=True, help="The protocol register.")
console = Console(stderr=True)


def _runtime():  # type: ignore[no-untyped-def]
    # Imported here: core.cli imports this module to mount it, so a top-level import would be circular.
    from core.cli import _runtime as build
    from core.cli import _settings

    return build(_settings())


@protocol_app.command()
def verify() -> None:
    """Recompute the hash chain and the daily registers' fingerprints; non-zero and where, on any tampering."""
    from protocol.chain import verify_register

    runtime = _runtime()
    with runtime.db.session() as session:
        problems = verify_register(session, runtime.store)
    runtime.close()
    for problem in problems:
        console.print(f"[red]TAMPERED[/red] {problem}")
    if problems:
        raise typer.Exit(1)
    console.print("protocol register intact")


@protocol_app.command()
def daily(day: Annotated[str, typer.Option("--date", help="the day, YYYY-MM-DD (Europe/Rome)")],
          register: Annotated[list[str] | None, typer.Option(help="register code (default: all)")] = None) -> None:
    """Produce the day's daily register (JSON + PDF, fingerprinted) into the object store; the day is frozen."""
    from protocol.config import registers_of
    from protocol.daily import produce_daily
    from protocol.service import ProtocolError

    try:
        when = date.fromisoformat(day)
    except ValueError:
        console.print(f"[red]not a date: {day!r} (use YYYY-MM-DD)[/red]")
        raise typer.Exit(2) from None
    runtime = _runtime()
    registers = registers_of(runtime.config)
    unknown = set(register or []) - set(registers)
    if unknown or not registers:
        console.print(f"[red]unknown register(s): {', '.join(sorted(unknown)) or 'none configured'}[/red]")
        raise typer.Exit(2)
    for code in register or list(registers):
        try:
            made = produce_daily(runtime.db, runtime.store, registers[code], when, actor="cli")
        except ProtocolError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        print(f"{code} {when}: {made.entry_count} entries, {made.json_key} sha256-b64 {made.json_fingerprint},"
              f" {made.pdf_key} sha256-b64 {made.pdf_fingerprint}, produced {_when(made.produced_at)}")
    runtime.close()


def _when(moment: datetime) -> str:
    from protocol.daily import local_iso

    return local_iso(moment)
