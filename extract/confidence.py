"""Per-field confidence: evidence -> probability by a logistic model fit on data, parameters shipped as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PARAMS_PATH = Path(__file__).with_name("calibration.json")
FEATURES = ("label", "ocr", "validator", "arithmetic", "pattern")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What supports a value: label match quality (0 when none), mean OCR word confidence, validator and
    arithmetic verdicts (None when not applicable), and how well the value fits its expected form/place."""

    label: float = 0.0
    ocr: float = 1.0
    validator: bool | None = None
    arithmetic: bool | None = None
    pattern: float = 0.5

    def vector(self) -> list[float]:
        def verdict(value: bool | None) -> float:
            return 0.0 if value is None else (1.0 if value else -1.0)

        return [self.label, self.ocr, verdict(self.validator), verdict(self.arithmetic), self.pattern]


@dataclass(slots=True)
class Calibrator:
    """Logistic map from evidence to probability; one default set of weights plus optional per-field sets."""

    weights: dict[str, float]
    bias: float
    per_field: dict[str, tuple[dict[str, float], float]] = field(default_factory=dict)
    # Platt scaling fitted on held-apart data: p = σ(a·logit(raw) + b), per field with "default" for the rest.
    platt: dict[str, tuple[float, float]] = field(default_factory=dict)

    def scale(self, raw: float, field_name: str | None = None) -> float:
        a, b = self.platt.get(field_name or "", self.platt.get("default", (1.0, 0.0)))
        raw = min(1 - 1e-6, max(1e-6, raw))
        z = a * math.log(raw / (1 - raw)) + b
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def predict(self, evidence: Evidence, field_name: str | None = None) -> float:
        weights, bias = self.per_field.get(field_name or "", (self.weights, self.bias))
        z = bias + sum(
            weights.get(name, 0.0) * x for name, x in zip(FEATURES, evidence.vector(), strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, object]:
        return {
            "default": {"weights": self.weights, "bias": self.bias},
            "fields": {name: {"weights": w, "bias": b} for name, (w, b) in self.per_field.items()},
            "platt": {name: [round(a, 4), round(b, 4)] for name, (a, b) in sorted(self.platt.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Calibrator:
        default = data["default"]
        assert isinstance(default, dict)
        fields = data.get("fields") or {}
        assert isinstance(fields, dict)
        return cls(
            dict(default["weights"]),
            float(default["bias"]),
            {name: (dict(p["weights"]), float(p["bias"])) for name, p in fields.items()},
            {name: (float(a), float(b)) for name, (a, b) in dict(data.get("platt") or {}).items()},  # type: ignore[call-overload]
        )


def fit(
    samples: Sequence[tuple[Evidence, bool]], *, epochs: int = 400, rate: float = 0.5, l2: float = 1e-3
) -> tuple[dict[str, float], float]:
    """Fit logistic weights on (evidence, value was right) pairs by gradient descent; returns (weights, bias).

    Store the result with ``Calibrator(...).to_json()`` into ``calibration.json``; weights stay monotone in
    practice because every feature is oriented so that more means more likely right.
    """
    w = [0.0] * len(FEATURES)
    b = 0.0
    n = max(1, len(samples))
    data = [(e.vector(), 1.0 if ok else 0.0) for e, ok in samples]
    for _ in range(epochs):
        gw = [0.0] * len(w)
        gb = 0.0
        for x, y in data:
            p = 1.0 / (
                1.0 + math.exp(-max(-30.0, min(30.0, b + sum(wi * xi for wi, xi in zip(w, x, strict=True)))))
            )
            for i, xi in enumerate(x):
                gw[i] += (p - y) * xi
            gb += p - y
        w = [wi - rate * (g / n + l2 * wi) for wi, g in zip(w, gw, strict=True)]
        b -= rate * gb / n
    return dict(zip(FEATURES, w, strict=True)), b


@lru_cache(maxsize=1)
def default_calibrator() -> Calibrator:
    """The shipped parameters (``extract/calibration.json``)."""
    return Calibrator.from_json(json.loads(PARAMS_PATH.read_text(encoding="utf-8")))


_RAW: ContextVar[bool] = ContextVar("quinte_raw_confidence", default=False)


@contextmanager
def raw_confidences() -> Iterator[None]:
    """Within this block fields carry the uncalibrated score (what ``extract.calibrate`` fits the scaling on)."""
    token = _RAW.set(True)
    try:
        yield
    finally:
        _RAW.reset(token)


def confidence(evidence: Evidence, field_name: str | None = None) -> float:
    """Probability that the value is exactly right, from the shipped calibration."""
    calibrator = default_calibrator()
    raw = calibrator.predict(evidence, field_name)
    return round(raw if _RAW.get() else calibrator.scale(raw, field_name), 4)


def fit_platt(pairs: Sequence[tuple[float, bool]], *, epochs: int = 2000, rate: float = 0.5,
              l2: float = 1e-3) -> tuple[float, float]:
    """(a, b) of p = σ(a·logit(raw) + b) by gradient descent on the log loss of (raw score, was right) pairs."""
    data = [(math.log(min(1 - 1e-6, max(1e-6, r)) / (1 - min(1 - 1e-6, max(1e-6, r)))), 1.0 if ok else 0.0)
            for r, ok in pairs]
    a, b, n = 1.0, 0.0, max(1, len(data))
    for _ in range(epochs):
        ga = gb = 0.0
        for x, y in data:
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, a * x + b))))
            ga += (p - y) * x
            gb += p - y
        a -= rate * (ga / n + l2 * (a - 1.0))
        b -= rate * gb / n
    return a, b
