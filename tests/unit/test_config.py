"""pipelines.yaml validation: the shipped file is valid, and every kind of mistake is named with its place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.config import ConfigError, load_pipelines, parse_pipelines
from core.settings import Settings
from core.stages import build_registry

REPO = Path(__file__).resolve().parents[2]


def test_shipped_pipelines_are_valid() -> None:
    config = load_pipelines(REPO / "pipelines.yaml", build_registry())
    assert config.default_pipeline in config.pipelines
    invoices = config.pipeline("passive_invoices")
    assert invoices.inbox_folder == "invoices"
    assert invoices.stage_names[0] == "pages"
    assert invoices.params("ocr").languages == "ita+eng"  # type: ignore[attr-defined]
    assert invoices.next_stage(invoices.stage_names[-1]) is None


def _problems(data: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_pipelines(data, build_registry(), origin="p.yaml")
    return caught.value.problems


def test_unknown_stage_and_bad_param_are_located() -> None:
    problems = _problems({"default_pipeline": "a", "pipelines": {"a": {"stages": [
        {"name": "pages", "params": {"dpi": 5}},
        {"name": "teleport"},
    ]}}})
    assert any("pipeline 'a', stage 1 'pages': dpi" in p for p in problems), problems
    assert any("stage 2 'teleport': unknown stage" in p for p in problems), problems


def test_unknown_doc_type_duplicate_inbox_and_missing_default() -> None:
    assert "unknown document type 'poem'" in "\n".join(_problems({"pipelines": {
        "a": {"doc_types": ["invoice", "poem"], "stages": [{"name": "pages"}]}}}))
    problems = _problems({"default_pipeline": "zzz", "pipelines": {
        "a": {"inbox": "same", "stages": [{"name": "pages"}]},
        "b": {"inbox": "same", "stages": [{"name": "pages"}]},
    }})
    text = "\n".join(problems)
    assert "inbox 'same' is also used by 'a'" in text
    assert "default_pipeline 'zzz' is not defined" in text


def test_unreadable_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "pipelines.yaml"
    path.write_text("pipelines: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_pipelines(path, build_registry())
    with pytest.raises(ConfigError, match="cannot read"):
        load_pipelines(tmp_path / "missing.yaml", build_registry())


def test_a_missing_relative_pipelines_file_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=f"looked in {tmp_path}; QUINTE_PIPELINES sets its path"):
        load_pipelines(Path("pipelines.yaml"), build_registry())


def test_extra_keys_are_refused() -> None:
    problems = _problems(yaml.safe_load("pipelines: {a: {stages: [{name: pages}], colour: blue}}"))
    assert any("colour" in p for p in problems)


def test_settings_refuse_weak_secrets_and_unknown_services() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        Settings(admin_password="short")
    with pytest.raises(ValueError, match="unsupported broker"):
        Settings(broker_url="kafka://x")
    with pytest.raises(ValueError, match="unsupported storage"):
        Settings(storage_url="ftp://x")
    assert Settings().database_url == "sqlite:///var/quinte.db"


def test_module_sections_are_validated_at_start_up() -> None:
    from core.sections import validate_sections

    data = yaml.safe_load((REPO / "pipelines.yaml").read_text())
    validate_sections(parse_pipelines(data, build_registry()))
    data["invoicing"] = {"bank_account": {"iban": "IT00X0000000000000000000000"}}
    data["contracts"] = {"days_before": "soon"}
    # A sender stops before its claim on a delivery ends: a claim shorter than one request could send nothing.
    data["webhooks"] = {"claim_seconds": 5, "timeout_seconds": 10}
    with pytest.raises(ConfigError) as caught:
        validate_sections(parse_pipelines(data, build_registry()))
    text = "\n".join(caught.value.problems)
    assert "invoicing" in text and "contracts" in text
    assert "webhooks" in text and "claim_seconds must be longer than timeout_seconds" in text
