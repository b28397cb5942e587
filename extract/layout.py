"""Geometry over OCR words: lines and visual rows, fuzzy multi-word label search, values beside or below."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from core.document import BBox, PageWords, Word, union_bbox
from extract.normalize import fold

# ---------------------------------------------------------------- lines and rows


@dataclass(slots=True)
class Line:
    """Words that read as one line, left to right, on one page."""

    words: list[Word]
    page: int
    index: int = 0

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> BBox:
        return union_bbox([w.bbox for w in self.words])

    @property
    def height(self) -> int:
        box = self.bbox
        return max(1, box[3] - box[1])


def _glued_parts(word: Word) -> list[Word]:
    """Split ``"Nr.5573"`` or ``"TOTAL:12.50"`` into label and value words, boxes split by character share."""
    match = re.fullmatch(r"([^\W\d_]{1,20}[.:#°º]+)(\d[\w.,/\-]*)", word.text)
    if not match:
        return [word]
    x0, y0, x1, y1 = word.bbox
    cut = x0 + round((x1 - x0) * len(match.group(1)) / len(word.text))
    return [
        Word(match.group(1), (x0, y0, cut, y1), word.confidence, word.page, word.block, word.line),
        Word(match.group(2), (cut, y0, x1, y1), word.confidence, word.page, word.block, word.line),
    ]


def _prepared(page: PageWords) -> list[Word]:
    return [part for word in page.words if word.text.strip() for part in _glued_parts(word)]


def _vertical_overlap(a: BBox, b: BBox) -> float:
    """Overlap of two boxes' y-ranges as a share of the shorter height."""
    inter = min(a[3], b[3]) - max(a[1], b[1])
    return inter / max(1, min(a[3] - a[1], b[3] - b[1]))


def visual_rows(page: PageWords, *, min_overlap: float = 0.5) -> list[Line]:
    """Words on the same height across blocks (a label and its value printed apart), top to bottom."""
    rows: list[list[Word]] = []
    for word in sorted(_prepared(page), key=lambda w: (w.bbox[1] + w.bbox[3]) / 2):
        for row in reversed(rows[-4:]):  # only recent rows can still overlap in y
            band = (0, min(w.bbox[1] for w in row), 0, max(w.bbox[3] for w in row))
            if (_vertical_overlap(word.bbox, band) >= min_overlap and not _collides(word, row)
                    and _vertical_overlap(word.bbox, _nearest(word, row).bbox) >= min_overlap):
                row.append(word)
                break
        else:
            rows.append([word])
    lines = [Line(sorted(r, key=lambda w: w.bbox[0]), page.page) for r in rows]
    lines.sort(key=lambda line: (line.bbox[1] + line.bbox[3]) / 2)
    for i, line in enumerate(lines):
        line.index = i
    return lines


def _nearest(word: Word, row: list[Word]) -> Word:
    """The row's word horizontally closest to ``word``. A tall title stretches a row's band over two lines of
    smaller type beside it ("GUTSCHRIFT" next to a letterhead): the neighbour, not the band, tells the line."""
    return min(row, key=lambda w: max(0, w.bbox[0] - word.bbox[2], word.bbox[0] - w.bbox[2]))


def _collides(word: Word, row: list[Word]) -> bool:
    """A word overlapping another horizontally belongs to a different (tightly spaced) row."""
    return any(
        min(word.bbox[2], w.bbox[2]) - max(word.bbox[0], w.bbox[0]) > 0.5 * (word.bbox[2] - word.bbox[0])
        for w in row
    )


def group_lines(page: PageWords) -> list[Line]:
    """Lines by the OCR's block/line keys; by y-overlap when the words carry no keys."""
    words = _prepared(page)
    if len({(w.block, w.line) for w in words}) <= 1 and len(words) > 1:
        return visual_rows(page)
    groups: dict[tuple[int, int], list[Word]] = {}
    for word in words:
        groups.setdefault((word.block, word.line), []).append(word)
    lines = [Line(sorted(ws, key=lambda w: w.bbox[0]), page.page) for ws in groups.values()]
    for i, line in enumerate(lines):
        line.index = i
    return lines


def all_rows(pages: Sequence[PageWords]) -> list[Line]:
    """Visual rows of every page in order."""
    return [row for page in pages for row in visual_rows(page)]


# ---------------------------------------------------------------- fuzzy labels


def similarity(a: str, b: str) -> float:
    """1 − normalised Levenshtein distance (0 when either is empty and they differ)."""
    # rapidfuzz's C implementation: label matching tries every lexicon label against every word span of
    # every row, and a pure-Python edit distance made it half of all extraction time.
    return Levenshtein.normalized_similarity(a, b)


@dataclass(slots=True)
class LabelHit:
    """A label found on a row: which key it names, which words it spans, how well it matched."""

    key: str
    label: str
    row: Line
    start: int
    end: int
    score: float

    @property
    def words(self) -> list[Word]:
        return self.row.words[self.start : self.end]

    @property
    def bbox(self) -> BBox:
        return union_bbox([w.bbox for w in self.words])

    @property
    def strength(self) -> float:
        """Longer labels matched well are stronger evidence than short ones."""
        return self.score * min(1.0, 0.55 + len(self.label.replace(" ", "")) / 20)


@dataclass(slots=True)
class _Label:
    key: str
    text: str
    compact: str = field(init=False)

    def __post_init__(self) -> None:
        self.compact = self.text.replace(" ", "")


def _word_folds(row: Line) -> list[str]:
    return [fold(w.text).replace(" ", "") for w in row.words]


def _score(candidate: str, label: _Label, threshold: float) -> float:
    if candidate == label.compact:
        return 1.0
    if len(label.compact) <= 4 or abs(len(candidate) - len(label.compact)) > max(1, len(label.compact) // 5):
        return 0.0  # short labels must match exactly: "iva" vs "via" is not OCR damage
    score = similarity(candidate, label.compact)
    return score if score >= threshold else 0.0


def find_labels(
    rows: Iterable[Line], lexicon: dict[str, list[str]], *, threshold: float = 0.8
) -> list[LabelHit]:
    """Every label of the lexicon on the rows, fuzzy against OCR damage; overlapping hits keep the longest."""
    labels = [_Label(key, fold(text)) for key, texts in lexicon.items() for text in texts]
    hits: list[LabelHit] = []
    for row in rows:
        folds = _word_folds(row)
        row_hits: list[LabelHit] = []
        for start in range(len(folds)):
            if not folds[start]:
                continue
            for end in range(start + 1, min(len(folds), start + 5) + 1):
                candidate = "".join(folds[start:end])
                if len(candidate) > 30 or (end - start > 1 and _column_gap(row.words[end - 2], row.words[end - 1])):
                    break  # a label is printed in one piece, not across two columns ("(MI)   Vs. ordine")
                for label in labels:
                    score = _score(candidate, label, threshold)
                    # More words than the label has are OCR splitting a word ("Fattu ra"), which joins back
                    # exactly; a fuzzy match over an extra word would swallow it ("Invoice No. Date" is not
                    # "invoice date").
                    if score and (score == 1.0 or end - start <= label.text.count(" ") + 1):
                        row_hits.append(LabelHit(label.key, label.text, row, start, end, score))
        hits.extend(_resolve(row_hits))
    return hits


def _column_gap(left: Word, right: Word, factor: float = 2.5) -> bool:
    """Two neighbouring words of a row stand in different columns: the gap is wider than a few spaces."""
    height = max(1, left.bbox[3] - left.bbox[1], right.bbox[3] - right.bbox[1])
    return right.bbox[0] - left.bbox[2] > factor * height


def _resolve(hits: list[LabelHit]) -> list[LabelHit]:
    """Keep the strongest hits that don't overlap; hits over the same words with the same text all stay."""
    kept: list[LabelHit] = []
    for hit in sorted(hits, key=lambda h: (-len(h.label.replace(" ", "")) * h.score, h.start)):
        clash = [k for k in kept if hit.start < k.end and k.start < hit.end]
        if not clash or all(
            k.start == hit.start and k.end == hit.end and k.label == hit.label for k in clash
        ):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


# ---------------------------------------------------------------- values near labels

_FILLER = re.compile(r"^[:;.=\-–—#*|]+$")


def value_right(hit: LabelHit, hits: Sequence[LabelHit] = ()) -> list[Word]:
    """Words after the label on its row, up to the next label on that row; leading ':' and such dropped."""
    stop = min((h.start for h in hits if h.row is hit.row and h.start >= hit.end), default=len(hit.row.words))
    words = hit.row.words[hit.end : stop]
    while words and _FILLER.match(words[0].text):
        words = words[1:]
    return words


def value_below(
    hit: LabelHit, rows: Sequence[Line], hits: Sequence[LabelHit] = (), *, max_rows: int = 2
) -> list[Word]:
    """Words under the label in its column (bounded by the neighbouring labels), from the next row(s)."""
    left, right = _column(hit, hits)
    stop = min((h.bbox[0] for h in hits if h.row is hit.row and h.bbox[0] >= hit.bbox[2]), default=None)
    start = max((h.bbox[2] for h in hits if h.row is hit.row and h.bbox[2] <= hit.bbox[0]), default=None)
    below = [
        r
        for r in rows
        if r.page == hit.row.page
        and r.bbox[1] >= hit.row.bbox[1] + 0.5 * hit.row.height
        and r.index > hit.row.index
    ]
    gap_limit = 3.5 * hit.row.height
    last_bottom = hit.row.bbox[3]
    for row in below[:6]:
        if row.bbox[1] - last_bottom > gap_limit:
            break
        words = [w for w in row.words if left <= (w.bbox[0] + w.bbox[2]) / 2 <= right]
        words = _not_run_in(row, words, start, hit.bbox[0]) if words else []
        words = _run_on(row, words, stop) if words else []
        if words:
            return words
        last_bottom = row.bbox[3]
        max_rows -= 1
        if max_rows <= 0:
            break
    return []


def _not_run_in(row: Line, words: list[Word], start: int | None, own: int) -> list[Word]:
    """The column's words without the end of a value begun under the label on the left (``start`` is that
    label's right edge, ``own`` this label's left edge) that runs into this column ("31 de mayo de 2026" under
    "Vencimiento", beside "Ref. pedido"). A word that begins under this label is this column's."""
    if start is None:
        return words
    ws = row.words

    def joined(k: int) -> bool:  # ws[k] continues ws[k - 1]: no wider gap than a space or two
        return ws[k].bbox[0] - ws[k - 1].bbox[2] <= 1.5 * max(1, ws[k].bbox[3] - ws[k].bbox[1])

    first = ws.index(words[0])
    while first > 0 and joined(first):
        first -= 1
    if ws[first].bbox[0] > start:
        return words
    run, last = set(), first
    while last < len(ws) and (last == first or joined(last)):
        run.add(id(ws[last]))
        last += 1
    return [w for w in words if id(w) not in run or w.bbox[0] >= own - 0.5 * (w.bbox[3] - w.bbox[1])]


def _run_on(row: Line, words: list[Word], stop: int | None) -> list[Word]:
    """The column's words and those that continue them on the row without a gap, short of the next label's
    column: a long value under a header ("31 de mayo de 2026") runs past halfway to the next header."""
    if stop is None:
        return words
    out = list(words)
    for word in row.words[row.words.index(words[-1]) + 1 :]:
        height = max(1, word.bbox[3] - word.bbox[1])
        if word.bbox[0] >= stop - 0.5 * height or word.bbox[0] - out[-1].bbox[2] > 1.5 * height:
            break
        out.append(word)
    return out


def _column(hit: LabelHit, hits: Sequence[LabelHit]) -> tuple[float, float]:
    """The x-range a label heads: halfway to its neighbours on the row, or a label's width beyond it."""
    x0, _, x1, _ = hit.bbox
    same_row = [
        h for h in hits if h.row is hit.row and h is not hit and (h.start, h.end) != (hit.start, hit.end)
    ]
    lefts = [h.bbox[2] for h in same_row if h.bbox[2] <= x0]
    rights = [h.bbox[0] for h in same_row if h.bbox[0] >= x1]
    width = max(x1 - x0, 60)
    left = (max(lefts) + x0) / 2 if lefts else x0 - width
    right = (min(rights) + x1) / 2 if rights else x1 + 3 * width
    return left, right


def words_bbox(words: Sequence[Word]) -> BBox:
    return union_bbox([w.bbox for w in words])


def words_text(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words)


def totals_block(rows: Sequence[Line], hits: Sequence[LabelHit]) -> tuple[int, int] | None:
    """Row-index range (first, last) of the totals block: the lowest cluster of total/net/VAT labels."""
    keys = {"total_amount", "net_amount", "vat_amount"}
    indices = (
        sorted({h.row.index for h in hits if h.key in keys and h.row.page == rows[-1].page}) if rows else []
    )
    if not indices:
        return None
    last = indices[-1]
    first = last
    for index in reversed(indices[:-1]):
        if first - index > 6:  # a big gap separates the line table's "totale" column from the block
            break
        first = index
    return first, last


def segments(row: Line, *, gap_factor: float = 1.2) -> list[tuple[int, int]]:
    """Word-index ranges of a row split at wide horizontal gaps (two columns printed on one row)."""
    if not row.words:
        return []
    cuts = [0]
    for i in range(1, len(row.words)):
        gap = row.words[i].bbox[0] - row.words[i - 1].bbox[2]
        height = row.words[i].bbox[3] - row.words[i].bbox[1]
        if gap > gap_factor * max(1, height):
            cuts.append(i)
    cuts.append(len(row.words))
    return list(itertools.pairwise(cuts))
