"""Contract fields from generated Italian/English contracts (truth words) and from a few shared NDAs (text layer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.contracts import _truth_pages, kleister_pairs, read_expected
from core.document import PageWords, Word
from extract.contract import contract_checks, day_first, extract_contract
from extract.engine import extract
from ocr.textlayer import read_text_layer
from samples.generate import generate

NDAS = ("00a1d238e37ac225b8045a97953e845d.pdf", "08cc9be2c873778b05d95d03026705ca.pdf",
        "0859334b76224ff82c1312ae7b2b5da1.pdf", "0c3ab1d0c8bb3b1c2f7a64f3ab584368.pdf")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("contracts")
    samples = generate(out, count=6, seed=21, kinds=["contract"], levels=[0], formats=["png"], languages=["it"])
    samples += generate(out / "en", count=2, seed=22, kinds=["contract"], levels=[0], formats=["png"],
                        languages=["en"])
    return [json.loads(s.truth_path.read_text(encoding="utf-8")) for s in samples]


def test_generated_contracts_every_field(generated: list[dict]) -> None:
    for truth in generated:
        fields = extract_contract(_truth_pages(truth))
        got = {name: f.value for name, f in fields.items()}
        for name, want in truth["fields"].items():
            assert got.get(name) == want, (truth["language"], name)
        for name, field in fields.items():
            if field.source == "rules":
                assert field.page is not None and field.bbox is not None, name


def test_engine_dispatches_contracts(generated: list[dict]) -> None:
    result = extract(_truth_pages(generated[0]), doc_type="contract")
    assert result.fields["parties"].value == generated[0]["fields"]["parties"]


def _words(text: str) -> list[PageWords]:
    words = [Word(t, (10 * i, 10, 10 * i + 9, 20), 0.99, 1, 1, 1) for i, t in enumerate(text.split())]
    return [PageWords(1, 2480, 3508, words)]


def test_clauses_with_party_ids_and_derived_end() -> None:
    text = ("Tra Alfa S.r.l., con sede in Milano, P.IVA 01234567890, (di seguito \"il Fornitore\") e Beta S.p.A., "
            "con sede in Roma, C.F. 09876543210 (di seguito \"il Cliente\") si conviene. Il contratto decorre dal "
            "31/01/2024 con durata di 12 mesi e si intende tacitamente rinnovato salvo disdetta con preavviso di "
            "almeno 3 mesi. Foro di Torino. Firma del Fornitore")
    fields = extract_contract(_words(text))
    assert fields["parties"].value == ["Alfa S.r.l.", "Beta S.p.A."]
    assert fields["party_ids"].value[0]["vat"] == "IT01234567890"
    assert fields["effective_date"].value == "2024-01-31"
    assert fields["end_date"].value == "2025-01-30"
    assert fields["end_date"].source == "computed"
    assert (fields["auto_renewal"].value, fields["notice_period"].value) == (True, "P3M")
    assert fields["jurisdiction"].value == "Torino"
    checks = contract_checks(_words(text), fields)
    assert [c.code for c in checks] == ["specific_approval_missing"]
    approved = text + " Ai sensi degli artt. 1341 e 1342 c.c. si approvano specificamente gli artt. 2 e 5."
    assert contract_checks(_words(approved), extract_contract(_words(approved))) == []


def _page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def test_shared_ndas_text_layer(shared_data: Path) -> None:
    folder = shared_data / "kleister-nda"
    expected = read_expected(folder / "expected.tsv")
    hits = total = 0
    for name in NDAS:
        pdf = folder / "documents" / name
        pages = [read_text_layer(pdf, i, dpi=72) for i in range(_page_count(pdf))]
        got = kleister_pairs({k: f.value for k, f in extract_contract([p for p in pages if p]).items()})
        gold = expected[name]
        assert [p for p in got if p.startswith("jurisdiction")] == [p for p in gold if p.startswith("jurisdiction")]
        hits += len(set(got) & set(gold))
        total += len(gold)
    assert hits / total >= 0.7


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("4. Term. This Agreement shall terminate two (2) years from the date hereof. 5. Notices.", "P2Y"),
        ("9. Term. This NDA shall continue in effect until the first anniversary of the Effective Date.", "P1Y"),
        ("The obligations of confidentiality under this Agreement shall remain in effect for five (5) years.", "P5Y"),
        ("This Agreement shall terminate upon the earlier of (i) a Transaction and (ii) eighteen (18) months from "
         "the date of this Agreement.", "P18M"),
        ("This Agreement shall be effective for a 36-month period.", "P36M"),
        ("Except as otherwise provided in paragraphs 4 and 5 hereof, the term of this letter agreement shall be "
         "three years (the “Term”).", "P3Y"),
        # the sentence before ends a restriction; this one is about the agreement
        ("The restrictions contained in paragraph 2(a) above will remain in full force and effect unless waived by "
         "the Company. 6. Term. The term of this agreement shall be three (3) years, beginning on the date signed.",
         "P3Y"),
        ("c. Confidential Information Post-Employment. For a period of eighteen (18) months after your employment "
         "with Schneider, you will not disclose it.", None),
        ("This Agreement is effective on the date signed. 4. Non-Solicitation. For a period of eighteen (18) months, "
         "Executive shall not hire any officer of the Company.", None),
        ("Documents shall be returned to the Employee. The term of this Agreement shall be two (2) years.", "P2Y"),
        # restrictions, deadlines and survival periods are not the agreement's term
        ("During the term of this Agreement and for a period of one (1) year thereafter, Employee will not solicit.",
         None),
        ("For a period of eighteen (18) months from the date hereof, you shall not solicit any employee.", None),
        ("This Agreement shall remain in effect and the payment shall equal three (3) months of base salary.", None),
        ("Notices under this Agreement shall be deemed effective one business day after sending.", None),
        ("This Agreement may be terminated by either party on thirty (30) days' written notice.", None),
    ],
)
def test_term_from_clauses_about_the_agreement_life(text: str, term: str | None) -> None:
    found = extract_contract(_words(text)).get("term")
    assert (found.value if found else None) == term


def test_party_blocks_forms_and_letters() -> None:
    recital = ("This Agreement is made as of the 5th day of November 2004, by and between Richard Roe (“ROE”) and "
               "Haynes Wire Company, a Delaware corporation (“BUYER”). PRELIMINARY STATEMENT Under an Asset Purchase "
               "Agreement by and among Roe, The Branford Wire and Manufacturing Company (“BRANFORD”) ...")
    assert extract_contract(_words(recital))["parties"].value == ["Richard Roe", "Haynes Wire Company"]
    form = ("This Agreement is entered into between [NAME] (“Employee”) and FSC CT, Inc. (“Fifth Street”), a "
            "Connecticut corporation. 1. Consideration.")
    assert extract_contract(_words(form))["parties"].value == ["FSC CT, Inc."]
    letter = ("LOGO March 15, 2007 Mr. Thomas Hook President and CEO Greatbatch, Inc. 9645 Main Drive Dear Mr. Hook: "
              "Enpath Medical, Inc. (“Enpath” or “the Company”) has engaged Greene Holcomb & Fisher (“GH&F”) to "
              "advise it. The Company will furnish Greatbatch, Inc. (“you” or “Greatbatch”) with information.")
    assert extract_contract(_words(letter))["parties"].value == ["Greatbatch, Inc.", "Enpath Medical, Inc."]
    signed = ("As a condition of my employment with Clovis Oncology, Inc. (the “Company”), I agree to the following. "
              "IN WITNESS WHEREOF: CLOVIS ONCOLOGY, INC. By: /s/ John Smith Title: CEO "
              "Date: 5/12/09 /s/ Patrick J. Mahaffy Signature Patrick J. Mahaffy Name of Employee")
    fields = extract_contract(_words(signed))
    assert fields["parties"].value == ["Clovis Oncology, Inc.", "Patrick J. Mahaffy"]
    assert fields["effective_date"].value == "2009-05-12"  # a US document: month first


@pytest.mark.parametrize(
    ("text", "parties"),
    [
        pytest.param("CONFIDENTIALITY AGREEMENT Exhibit (d)(2) December 7, 2012 JAB Beech Inc. 2200 Pennsylvania "
                     "Avenue Ladies and Gentlemen: In connection with a possible transaction with Caribou Coffee "
                     "Company, Inc., a Minnesota corporation (the “Seller”), the Seller expects to make available to "
                     "JAB Beech Inc. (“you”) certain information.",
                     ["JAB Beech Inc.", "Caribou Coffee Company, Inc."], id="letter date line"),
        pytest.param("MUTUAL NONDISCLOSURE AGREEMENT PARTIES: SafeNet, Inc (the “Company”) 4690 Millennium Drive "
                     "Belcamp, MD 21017 Datakey, Inc. (“Datakey”) 407 West Travelers Trail Burnsville, MN 55337-2558 "
                     "RECITALS: A. The Company and Datakey are commencing discussions.",
                     ["SafeNet, Inc", "Datakey, Inc."], id="address blocks"),
        pytest.param("NON-DISCLOSURE AGREEMENT PARTIES: John J. Donahoe II (“Employee”) NIKE, Inc., and its "
                     "subsidiaries (“NIKE”) DATE: October 17, 2019 RECITALS: A. This Agreement is effective as of "
                     "January 13, 2020.", ["John J. Donahoe II", "NIKE, Inc."], id="heading after the parties"),
        pytest.param("Dear Mr. Park: Georgia-Pacific LLC (“Buyer”) has requested information regarding Buckeye "
                     "Technologies Inc. (the “Company”) in connection with a transaction between Buyer and the "
                     "Company.",
                     ["Georgia-Pacific LLC", "Buckeye Technologies Inc."], id="defined terms"),
        pytest.param('This AGREEMENT is made by and between AEP Energy Services, Inc. an Ohio corporation ("AEPES") '
                     'and, Perot Systems Corporation having a place of business in Dallas ("Company"). WITNESSETH: ...',
                     ["AEP Energy Services, Inc.", "Perot Systems Corporation"], id="and, then a name"),
        pytest.param("This Agreement is entered into by and between Maher Albitar, M.D. (“Consultant”) and "
                     "NeoGenomics, Inc., a Nevada corporation (“Company”). 1. Services.",
                     ["Maher Albitar", "NeoGenomics, Inc."], id="degree"),
        pytest.param("PRIVATE AND CONFIDENTIAL This Agreement is made by and between Private Equity Partners LLC, a "
                     "Delaware limited liability company (“PEP”) and Alpha Parent Inc. (“Parent”), and Parent’s "
                     "Subsidiary LLC, a Delaware limited liability company (“Sub”). 1. Definitions.",
                     ["Private Equity Partners LLC", "Alpha Parent Inc.", "Parent’s Subsidiary LLC"],
                     id="a heading is in capitals, a name is not"),
        pytest.param("I, Mary Minnick, hereby release The Coca-Cola Company and its subsidiaries (the “Company”). "
                     "EXECUTIVE: /s/ Mary Minnick Mary Minnick Date: March 1, 2007",
                     ["The Coca-Cola Company", "Mary Minnick"], id="signature then printed name"),
    ],
)
def test_letterheads_headings_and_defined_terms_are_not_names(text: str, parties: list[str]) -> None:
    assert extract_contract(_words(text))["parties"].value == parties


def test_dates_and_law_clauses_in_us_agreements() -> None:
    text = ("This Agreement, dated this 18th day of September, 2014, is entered into by and between Robert J. Shovlin "
            "(“Employee”) and NeoGenomics, Inc. (“Company”). THIS AGREEMENT SHALL BE GOVERNED BY THE LAWS OF THE "
            "STATE OF DELAWARE APPLICABLE TO CONTRACTS.")
    fields = extract_contract(_words(text))
    assert (fields["effective_date"].value, fields["jurisdiction"].value) == ("2014-09-18", "Delaware")
    other = ("This Agreement supersedes the Employment Agreement between Dolby Laboratories, Inc. and me dated "
             "July 10, 1978, as amended. This agreement shall be governed by Kansas law. "
             "Date: November 19, 2004 /s/ Ray Dolby")
    fields = extract_contract(_words(other))
    assert (fields["effective_date"].value, fields["jurisdiction"].value) == ("2004-11-19", "Kansas")
    split = "THIS AGREEMENT is made as of December 9 th , 2014 by and between DigiPath, Inc. and W-Net, Inc."
    assert extract_contract(_words(split))["effective_date"].value == "2014-12-09"
    for opening, date in (("entered into this 31st day of May , 2005 by and between", "2005-05-31"),
                          ("is made this 6th of February, 1999 by and between", "1999-02-06")):
        text = f"This Agreement {opening} High Speed Net Solutions and Promark Technology, Inc."
        assert extract_contract(_words(text))["effective_date"].value == date


def test_day_first_follows_the_document() -> None:
    assert day_first("Signed 5/12/09 and again on 25/03/2009")  # 25/03 can only be day first
    assert not day_first("Signed 5/12/09 and again on 03/25/2009")
    assert day_first("Signed 5/12/09 for a fee of EUR 100")
    assert not day_first("Signed 5/12/09 for a fee of $100")


def test_kleister_names_abbreviate_company_forms() -> None:
    pairs = kleister_pairs({"parties": ["ALTIMO HOLDINGS & INVESTMENTS LIMITED", "Leonard Green & Partners, L.P.",
                                        "Sears, Roebuck and Co", "Nike, Incorporated"]})
    assert pairs == ["party=ALTIMO_HOLDINGS_AND_INVESTMENTS_LTD.", "party=LEONARD_GREEN_AND_PARTNERS_LP",
                     "party=SEARS_ROEBUCK_AND_CO.", "party=NIKE_INC."]
