"""The trained doc-type classifier, loaded lazily once per process and combined with the rule scorer."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.document import PageWords
from extract.classify import document_text, rule_scorer, set_scorer

MODEL_DIR = Path(__file__).with_name("models") / "doctype"
MODEL_VERSION = "1.0.0"
LABELS = ("invoice", "credit_note", "receipt", "contract", "order")
# How much the model's probability moves the rule score; the rules' keyword weights are 3–8 per phrase, so
# a confident model decides close calls without overruling clear keyword evidence.
MODEL_WEIGHT = 4.0
_lock = threading.Lock()
_installed = False


def prepare(text: str) -> str:
    """Lower case with digits collapsed: numbers differ between documents, their shapes do not."""
    return re.sub(r"\d", "0", text.lower())


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_DIR) -> Any | None:
    """The spaCy pipeline, or None when it has not been trained (the rules then work alone)."""
    if not (path / "meta.json").exists():
        return None
    import spacy

    return spacy.load(path)


def model_probabilities(pages: Sequence[PageWords]) -> dict[str, float]:
    nlp = load_model()
    if nlp is None:
        return {}
    return dict(nlp(prepare(document_text(pages))[:4000]).cats)


def ensemble_scorer(pages: Sequence[PageWords]) -> dict[str, float]:
    """Rule scores plus the model's probability times MODEL_WEIGHT for the types it knows."""
    scores = rule_scorer(pages)
    for label, probability in model_probabilities(pages).items():
        scores[label] = scores.get(label, 0.0) + MODEL_WEIGHT * probability
    return scores


def install() -> None:
    """Make the ensemble the classifier's scorer, once per process, when a trained model is present."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        if load_model() is not None:
            set_scorer(ensemble_scorer)
