"""Words cut in two by Tesseract's column boundaries are joined; words a space apart are not."""

from __future__ import annotations

from core.document import PageWords, Word
from ocr.rejoin import rejoin_split_words


def _page(*words: Word) -> PageWords:
    return PageWords(1, 2480, 3508, list(words))


def test_a_value_cut_by_a_column_boundary_is_one_word_again() -> None:
    # From a German invoice: "Rechnungs-Nr.: 754" came out as "7" in the labels' block and "54" in the next one.
    label = Word("Rechnungs-Nr.:", (1084, 560, 1352, 599), 0.92, 1, 6, 10)
    first = Word("7", (1440, 564, 1455, 588), 0.86, 1, 6, 10)
    rest = Word("54", (1460, 564, 1497, 588), 0.96, 1, 7, 14)
    below = Word("1.1.2025", (1462, 610, 1598, 634), 0.92, 1, 7, 15)
    words, joined = rejoin_split_words(_page(label, first, rest, below))
    assert joined == 1
    assert [w.text for w in words.words] == ["Rechnungs-Nr.:", "754", "1.1.2025"]
    assert words.words[1].bbox == (1440, 564, 1497, 588) and words.words[1].confidence == 0.86


def test_words_a_space_apart_another_line_or_the_same_block_stay_apart() -> None:
    left = Word("Totale", (100, 500, 220, 524), 0.9, 1, 1, 1)
    spaced = Word("120,00", (232, 500, 340, 524), 0.9, 1, 2, 2)  # 12 px: a space at this size
    lower = Word("EUR", (224, 540, 290, 564), 0.9, 1, 3, 3)  # the next line down
    same_block = Word("IVA", (100, 600, 160, 624), 0.9, 1, 4, 4), Word("22%", (163, 600, 220, 624), 0.9, 1, 4, 5)
    words, joined = rejoin_split_words(_page(left, spaced, lower, *same_block))
    assert joined == 0 and [w.text for w in words.words] == ["Totale", "120,00", "EUR", "IVA", "22%"]


def test_a_word_in_three_pieces_loses_no_text_whatever_their_order() -> None:
    pieces = [Word(text, (x, 100, x + 17, 124), 0.9, 1, block, block)
              for block, (text, x) in enumerate((("A", 103), ("B", 123), ("C", 143)), start=1)]
    for order in (pieces, [pieces[1], pieces[2], pieces[0]]):
        words, joined = rejoin_split_words(_page(*order))
        assert joined == 1 and "".join(sorted("".join(w.text for w in words.words))) == "ABC"
