"""Where things are: the environment variables of interfaces.md §6, read with pydantic-settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings. Defaults are the embedded single-machine ones; no secret has a default."""

    model_config = SettingsConfigDict(env_prefix="QUINTE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/quinte.db"
    broker_url: str = "memory://"
    storage_url: str = "file://var/objects"
    inbox_dir: Path = Path("inbox")
    pipelines: Path = Path("pipelines.yaml")
    admin_password: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    # Signs session cookies; when unset a random per-process key is used (sessions end on restart).
    secret_key: SecretStr | None = None
    # Where generated files live that are not documents (model caches, renders).
    var_dir: Path = Path("var")
    fatturapa_schema: Path | None = None
    # `quinte watch` re-sends an unfinished document with no stage started for this long (its message was lost, e.g.
    # by a broker that restarted without persistence), checking every `sweep_seconds`. Longer than the slowest stage.
    stall_seconds: float = Field(40 * 60, gt=0)
    sweep_seconds: float = Field(300, gt=0)

    @field_validator("admin_password", "secret_key")
    @classmethod
    def _refuse_weak_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 12:
            raise ValueError("must be at least 12 characters long")
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in {"memory", "redis", "rediss", "amqp", "amqps"}:
            raise ValueError(f"unsupported broker {scheme!r}: use memory://, redis://… or amqp://…")
        return value

    @field_validator("storage_url")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in {"file", "s3"}:
            raise ValueError(f"unsupported storage {scheme!r}: use file://PATH or s3://BUCKET?endpoint=…")
        return value

    @property
    def s3_endpoint(self) -> str | None:
        query = parse_qs(urlparse(self.storage_url).query)
        return query.get("endpoint", [None])[0]


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (for tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
