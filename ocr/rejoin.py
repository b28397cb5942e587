"""Words that Tesseract's layout analysis cut in two at a column boundary, put back together."""

from __future__ import annotations

from dataclasses import replace

from core.document import PageWords, Word

# A gap narrower than this share of the text height is inside a word, not a space between two: an inter-word
# space in office fonts is about a third of the capitals' height or more.
MAX_GAP_SHARE = 0.3
MIN_OVERLAP_SHARE = 0.7


def _line_ends(words: list[Word]) -> tuple[list[int], list[int]]:
    """Indices of the last and the first word of each (block, line)."""
    lasts: dict[tuple[int, int], int] = {}
    firsts: dict[tuple[int, int], int] = {}
    for index, word in enumerate(words):
        key = (word.block, word.line)
        lasts[key] = index
        firsts.setdefault(key, index)
    return list(lasts.values()), list(firsts.values())


def _continues(left: Word, right: Word) -> bool:
    """``right`` starts where ``left`` stops, on the same baseline, with no room for a space between them."""
    if left.block == right.block:
        return False  # within one block Tesseract itself decided where the space is
    height = min(left.bbox[3] - left.bbox[1], right.bbox[3] - right.bbox[1])
    if height <= 0:
        return False
    overlap = min(left.bbox[3], right.bbox[3]) - max(left.bbox[1], right.bbox[1])
    gap = right.bbox[0] - left.bbox[2]
    return overlap >= MIN_OVERLAP_SHARE * height and -2 <= gap <= MAX_GAP_SHARE * height


def rejoin_split_words(words: PageWords) -> tuple[PageWords, int]:
    """Join a line's last word to the first word of another block's line that continues it without a space.

    Tesseract sometimes draws a column boundary through a value: "Rechnungs-Nr.: 7" in one block and "54" in the
    next, 5 px to its right, for "754". Only a line's ends are compared, so the cost is a few hundred pairs.
    """
    items = words.words
    lasts, firsts = _line_ends(items)
    merged: dict[int, int] = {}  # first-word index -> the last-word index it is joined to
    for left in lasts:
        if left in merged:
            continue  # already joined onto a word before it: one join per piece, no chains
        for right in firsts:
            if (right not in merged and right != left and right not in merged.values()
                    and _continues(items[left], items[right])):
                merged[right] = left
                break
    if not merged:
        return words, 0
    joined = list(items)
    for right, left in merged.items():
        a, b = joined[left], items[right]
        box = (min(a.bbox[0], b.bbox[0]), min(a.bbox[1], b.bbox[1]), max(a.bbox[2], b.bbox[2]),
               max(a.bbox[3], b.bbox[3]))
        joined[left] = replace(a, text=a.text + b.text, bbox=box, confidence=min(a.confidence, b.confidence))
    kept = [word for index, word in enumerate(joined) if index not in merged]
    return replace(words, words=kept), len(merged)
