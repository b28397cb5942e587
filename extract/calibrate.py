"""Fit the confidence scaling on a calibration split of generated documents: ``python -m extract.calibrate``."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable

from extract.confidence import PARAMS_PATH, default_calibrator, fit_platt, raw_confidences
from extract.engine import extract
from extract.evaluation import SCALAR_FIELDS, Item, generated, same_value

# The calibration split: its own seed, never the benchmark's held-out seeds (7349, 7350) nor tuning's (1001).
SEED = 5151
COUNT = 40
KINDS = ("invoice", "credit_note", "receipt")
MIN_PER_FIELD = 25  # fields seen fewer times share the default scaling
MIN_WRONG = 5  # a field's own scaling needs wrong values too, or it learns "always right"


def scored_fields(items: Iterable[Item]) -> list[tuple[str, float, bool]]:
    """(field, confidence, exactly right) of every field extracted from the items."""
    out = []
    for item in items:
        result = extract(item.pages)
        names = SCALAR_FIELDS.get(item.doc_type, ())
        for name, found in result.fields.items():
            if name in names or item.doc_type not in SCALAR_FIELDS:
                out.append((name, found.confidence, same_value(name, found.value, item.fields.get(name, ""))))
    return out


def fit(items: list[Item]) -> dict[str, tuple[float, float]]:
    with raw_confidences():
        pairs = scored_fields(items)
    platt = {"default": fit_platt([(p, ok) for _, p, ok in pairs])}
    by_field: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for name, p, ok in pairs:
        by_field[name].append((p, ok))
    for name, rows in by_field.items():
        wrong = sum(not ok for _, ok in rows)
        if len(rows) >= MIN_PER_FIELD and MIN_WRONG <= wrong <= len(rows) - MIN_WRONG:
            platt[name] = fit_platt(rows)
    return platt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=COUNT)
    args = parser.parse_args(argv)
    items = generated(SEED, args.count, kinds=KINDS)
    calibrator = default_calibrator()
    calibrator.platt = fit(items)
    data = {"_comment": f"Logistic evidence weights (hand-set) + Platt scaling fitted by `python -m extract.calibrate`"
                        f" on {len(items)} generated documents (seed {SEED}, levels 0-4, OCR'd).",
            **calibrator.to_json()}
    PARAMS_PATH.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    default_calibrator.cache_clear()
    print(json.dumps(data["platt"], indent=1))


if __name__ == "__main__":
    main()
