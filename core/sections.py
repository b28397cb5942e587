"""Start-up validation of the module sections of pipelines.yaml: registers, invoicing, contracts, webhooks, exports."""

from __future__ import annotations

from collections.abc import Callable

from core.config import ConfigError, PipelinesConfig


def section_checks(config: PipelinesConfig) -> list[tuple[str, Callable[[], object]]]:
    """Each module's own parser for its section; imported here so start-up fails early and in one place."""
    from contracts.config import contracts_config
    from invoicing.config import parse_invoicing
    from protocol.config import parse_registers
    from webhooks.config import exports_config, webhooks_config

    return [
        ("registers", lambda: parse_registers(config)),
        ("invoicing", lambda: parse_invoicing(config)),
        ("contracts", lambda: contracts_config(config)),
        ("webhooks", lambda: webhooks_config(config)),
        ("exports", lambda: exports_config(config)),
    ]


def validate_sections(config: PipelinesConfig) -> None:
    """Raise ConfigError listing every problem in every module section."""
    problems: list[str] = []
    for name, check in section_checks(config):
        try:
            check()
        except ConfigError as exc:
            problems.extend(exc.problems)
        except ValueError as exc:  # pydantic's ValidationError among them
            problems.append(f"pipelines.yaml: {name}: {exc}")
    if problems:
        raise ConfigError(problems)
