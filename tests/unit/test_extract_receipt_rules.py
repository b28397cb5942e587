"""Receipt rules on short OCR-like texts: header name and address, totals and dates as real OCR prints them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.document import PageWords
from extract.receipt import extract_receipt
from extract.receipt_header import repair_address_line, repair_name, respell_address_word
from tests.unit.test_extract_invoice import page


def slip(*lines: str) -> PageWords:
    """A narrow receipt: one OCR line per text, top to bottom."""
    return page([(40 + 50 * i, [(40, line)]) for i, line in enumerate(lines)], width=900, height=2000)


def values(*lines: str) -> dict[str, str]:
    return {name: str(field.value) for name, field in extract_receipt([slip(*lines)]).items()}


@pytest.mark.parametrize(
    ("lines", "name", "address"),
    [
        # A misread legal form and the registration number after the name; a handwritten note above the print.
        (["tan woon yann", "99 SPEED MART $/B (519537-X)", "LOT P.T. 2811, JALAN ANGSA,", "TAMAN BERKELEY",
          "41150 KLANG, SELANGOR", "GST ID. NO : 000181747712", "TAX INVOICE"],
         "99 SPEED MART S/B", "LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR"),
        # The legal name beats the trade name; ids before the street are skipped.
        (["KIKU JAPANESE RESTAURANT", "TK DIVISION KITCHEN SON BHD", "1202152-P", "GST REG NO: 001335787520",
          "19-1, JALAN MALINJA 2, TAMAN BUNGA RAYA,", "53100 SETAPAK, KUALA LUMPUR.", "TEL. 03-4161 8936"],
         "TK DIVISION KITCHEN SDN BHD", "19-1, JALAN MALINJA 2, TAMAN BUNGA RAYA, 53100 SETAPAK, KUALA LUMPUR."),
        # A misread title and a trade name above do not win.
        (["TAK INYOICE", "AA PHARMACY", "SUBANG HEALTHCARE SIN BHD", "1118258-K", "B-8, JALAN SS15/4D,",
          "47500 SUBANG JAYA, SELANGOR", "TEL: 03-56127718"],
         "SUBANG HEALTHCARE SDN BHD", "B-8, JALAN SS15/4D, 47500 SUBANG JAYA, SELANGOR"),
        # "TAMAN" in the name reads as an address, "8HD" is BHD misread: still the name.
        (["BOOK TA .K (TAMAN DAYA) SDN 8HD", "789417-W", "NO.53 55,57 & 59, JALAN SAGU 18,", "TAMAN DAYA,",
          "81100 JOHOR BAHRU,", "JOHOR.", "Document No : TD01167104"],
         "BOOK TA .K (TAMAN DAYA) SDN BHD", "NO. 53 55,57 & 59, JALAN SAGU 18, TAMAN DAYA, 81100 JOHOR BAHRU, JOHOR."),
    ],
)  # fmt: skip
def test_header_name_and_address(lines: list[str], name: str, address: str) -> None:
    got = values(*lines)
    assert got["supplier_name"] == name
    assert got["supplier_address"] == address


@pytest.mark.parametrize(
    ("lines", "address"),
    [
        # The postcode ends its line: the town and state on the next line still belong.
        (
            ["NO: 28, JALAN ASTANA 1C,", "BANDAR BUKIT RAJA, 41050", "KLANG SELANGOR D.E, MALAYSIA", "SUNWAY"],
            "NO: 28, JALAN ASTANA 1C, BANDAR BUKIT RAJA, 41050 KLANG SELANGOR D.E, MALAYSIA",
        ),
        # A line of state names closes the address; the branch name after it does not belong.
        (
            ["NO. 53, JALAN BESAR, 45600 BATANG BERJUNTAI", "SELANGOR DARUL EHSAN", "SUNWAY VELOCITY"],
            "NO. 53, JALAN BESAR, 45600 BATANG BERJUNTAI SELANGOR DARUL EHSAN",
        ),
        (
            ["No 8, Jalan 7/118B, Desa Tun Razak", "56000 Kuala Lumpur, Malaysia", "SUNWAY VELOCITY"],
            "No 8, Jalan 7/118B, Desa Tun Razak 56000 Kuala Lumpur, Malaysia",
        ),
        # A chain's numbered outlet and its district under the town do (its "TMN" misread as "THN").
        (
            ["LOT P.T. 2811, JALAN ANGSA,", "TAMAN BERKELEY", "41150 KLANG, SELANGOR", "1558-THN PUSAT KEPONG"],
            "LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR 1558-TMN PUSAT KEPONG",
        ),
        (
            ["LOT P.T. 2811, JALAN ANGSA,", "TAMAN BERKELEY", "41150 KLANG, SELANGOR", "1132-PJ SS6"],
            "LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR",
        ),
        # A stray bar before each line (the receipt's edge) does not hide the outlet.
        (
            ["| LOT P.T. 2811, JALAN ANGSA,", "| TAMAN BERKELEY", "| 41150 KLANG, SELANGOR", "| 1422-THN DESA JAYA"],
            "LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR 1422-TMN DESA JAYA",
        ),
        # A five-digit lot number is not the postcode: the town's row still belongs.
        (
            ["LOT PT 1138 ,PT 33122,", "BANDAR MAHKOTA CHERAS", "43200 CHERAS, SELANGOR", "Site : 2365"],
            "LOT PT 1138 ,PT 33122, BANDAR MAHKOTA CHERAS 43200 CHERAS, SELANGOR",
        ),
    ],
)
def test_address_ends_after_the_postcode_with_town_and_state(lines: list[str], address: str) -> None:
    got = values("LIGHTROOM GALLERY SDN BHD", "(CO. NO. 113825-W)", *lines, "TEL : 03-9201 6281")
    assert got["supplier_name"] == "LIGHTROOM GALLERY SDN BHD"
    assert got["supplier_address"] == address


def test_a_smudge_and_a_number_above_the_name_do_not_end_the_header() -> None:
    lines = ["Be u A? A a Ds", "31705509", "99 SPEED MART 5/8 1519537-X)", "LOT P.T. 2811, JALAN ANGSA,",
             "TAMAN BERKELEY", "41150 KLANG, SELANGOR", "GST ID. NO : 000181747712"]
    page_ = slip(*lines)
    smudged = replace(page_, words=[replace(w, confidence=0.2) if w.block == 0 else w for w in page_.words])
    got = {name: str(field.value) for name, field in extract_receipt([smudged]).items()}
    assert got["supplier_name"] == "99 SPEED MART S/B"
    assert got["supplier_address"] == "LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR"


def test_an_at_sign_inside_a_street_name_is_no_email() -> None:
    got = values("GARDENIA BAKERIES (KL) SDN BHD", "Lot 3, Jalan@elabur 23/1,", "40300 Shah Alam, Selangor.",
                 "Tel: 03-55423228", "Email: info@gardenia.com.my")
    assert got["supplier_address"] == "Lot 3, Jalan@elabur 23/1, 40300 Shah Alam, Selangor."


def test_registration_number_with_a_misread_dash_is_not_the_address() -> None:
    got = values("TASTE OF THE WORLD SDN BHD", "96585/-A", "Lot 38, 39 101 Boulevard,",
                 "Jalan Kenari 5, Bandar Puchong Jaya,", "47170 Puchong, Selangor", "TEL: 03 - 8079 0255")
    assert got["supplier_address"] == (
        "Lot 38, 39 101 Boulevard, Jalan Kenari 5, Bandar Puchong Jaya, 47170 Puchong, Selangor"
    )


@pytest.mark.parametrize(
    ("body", "name"),
    [
        # The small print spells the name twice with one letter different: the stylised header was misread.
        (["Owned By :", "SANYU SUPPLY SDN BHD (1135772-K)", "Follow us in Facebook: Sanyu.Stationery"],
         "SANYU STATIONERY SHOP"),
        # Once is not enough evidence.
        (["Owned By :", "SANYU SUPPLY SDN BHD (1135772-K)"], "SANYO STATIONERY SHOP"),
        # The header's own spelling printed again below settles it.
        (["SANYU SUPPLY SDN BHD", "Sanyu.Stationery", "SANYO SERVICE CENTRE"], "SANYO STATIONERY SHOP"),
        # Lower-case runs are a misread capital ("At buardian"), not the name in print.
        (["At sanyu", "sanyu brand products"], "SANYO STATIONERY SHOP"),
    ],
)  # fmt: skip
def test_name_respelled_from_the_small_print(body: list[str], name: str) -> None:
    header = ["SANYO STATIONERY SHOP", "NO. 31G&33G, JALAN SETIA INDAH X ,U13/X", "40170 SETIA ALAM",
              "Tel: +603-3362 4137", "TAX INVOICE"]
    assert values(*header, *body)["supplier_name"] == name


def test_name_in_two_ocr_blocks_on_one_row_is_joined() -> None:
    rows = [
        (40, [(40, "GARDENIA BAKERIES")]),
        (40, [(480, "(KL) SDN BHD (139386 X)")]),  # its own block: the OCR split the printed row
        (90, [(40, "Lot 3, Jalan Pelabur 23/1,")]),
        (140, [(40, "40300 Shah Alam, Selangor.")]),
        (190, [(40, "Tel. 03-5542 3228")]),
    ]
    fields = extract_receipt([page(rows, width=900, height=2000)])
    assert fields["supplier_name"].value == "GARDENIA BAKERIES (KL) SDN BHD"
    assert fields["supplier_address"].value == "Lot 3, Jalan Pelabur 23/1, 40300 Shah Alam, Selangor."


def test_no_name_rather_than_the_customer_when_the_shop_name_is_cut_off() -> None:
    got = values(
        "Lot 3, Jalan Pelabur 23/1,",
        "40300 Shah Alam, Selangor.",
        "Tel. 03-5542 3228 Fax: 03-5542 3213",
        "TAX INVOICE",
        "Cash Inv No.: 7730F710",
        "MAKASSAR FRESH MARKET SDN BHD",
    )
    assert "supplier_name" not in got


def test_name_repairs() -> None:
    assert repair_name("MR. D. 1.Y. SDN BHD") == "MR. D. I.Y. SDN BHD"
    assert repair_name("MEGAH RETAIL SDN 3HD") == "MEGAH RETAIL SDN BHD"
    assert repair_name("Farmasi Maluri S/B(587969-U)") == "Farmasi Maluri S/B"
    assert repair_name("FOUR QUARTERS SUN BHD (lu/SJ&9-P)") == "FOUR QUARTERS SDN BHD"
    assert repair_name("KING’S CONFECTIONERY $/B 273500-U (KSB)") == "KING'S CONFECTIONERY S/B"
    assert repair_name(". ADVANCO COMPANY") == "ADVANCO COMPANY"
    assert repair_name("99 SPEED MART") == "99 SPEED MART"  # digits of a name stay


@pytest.mark.parametrize(
    ("word", "expected"),
    [("KAHASAN", "KAWASAN"), ("Sclangor.", "Selangor."), ("SELANGUR", "SELANGOR"), ("Jatan", "Jalan"),
     ("TAMAN", "TAMAN"), ("PUCHONG", "PUCHONG"), ("41150", "41150"), ("Tun", "Tun")],
)  # fmt: skip
def test_address_words_one_letter_off_are_respelled(word: str, expected: str) -> None:
    assert respell_address_word(word) == expected


@pytest.mark.parametrize(
    ("lines", "total"),
    [
        # "Including" is one letter pair from "Excluding": the exact label wins over the fuzzy one.
        (["TOTAL (Including GST) 79.35", "ROUNDING 0.00", "TENDER 100.00", "CHANGE/BALANCE 20.65"], "79.35"),
        (["Sub Total Before Discount RM 29.70", "TOTAL RM 29. 70", "CASH RM 30. 00", "CHANGE RM 0. 30"], "29.70"),
        (["Total Incl. GST@6% CRM_34,80", "CASH RM 100.00", "CHANGE RM 65.20"], "34.80"),
        (["Total Amount: RM7.72", "Rounding: -RM0.02", "Nett Total: RM7.70"], "7.70"),
        # The bracketed note names the tax, not the total; "Due" is what is owed.
        (["Qty 8 25.15", "Rounding Adj - 0,00", "Due 25.15", "(Total Included GST @ 6% : 1.42)"], "25.15"),
        (["Qty 8 25.15", "Rounding Adj - 0,00", "(Total Included GST @ 6% : 1.42)"], None),
        # No total label could be read: the subtotal that equals cash less change was paid.
        (["SUBTOTAL: 43.90", "GST Summary Amount (RM) 2.48", "CASH 100.00", "CASH CHANGE 56.10"], "43.90"),
        # Nothing but the cash line: what was handed over is the amount paid.
        (["ITEM QTY PRICE", "Cash RM51.30"], "51.30"),
        # "TOTAL (GST INCL)" starts as "total gst" (the tax) does, but is the total; the cash line is rounded.
        (["SUBTOTAL 3", "TOTAL (GST INCL) 38.37", "CASH 40.35", "ROUNDING ADJUSTMENTS 0.02-", "CHANGE DUE 2.00"],
         "38.37"),
        (["TOTAL GST 2.17", "TOTAL 38.37"], "38.37"),
        # A total one digit away from cash less change is a misread digit; a cent or two away is rounding.
        (["Total Incl. GST@6% RM 55, 20", "CASH RM 100,20", "CHANGE RM 47.00"], "53.20"),
        (["TOTAL 0.00", "ITEMS 3"], None),
    ],
)
def test_total_as_real_ocr_prints_it(lines: list[str], total: str | None) -> None:
    assert values("SHOP SDN BHD", *lines).get("total_amount") == total


def test_unlabelled_date_skips_product_codes_and_future_dates() -> None:
    got = values("SHOP SDN BHD", "XE11-22 - 30", "NEXT SERVICE 01/01/2099", "24-01-16 11:44 SH01 R003", "TOTAL 9.00")
    assert got["issue_date"] == "2016-01-24"


def test_a_time_under_the_date_label_is_not_the_date() -> None:
    got = values("SHOP SDN BHD", "Doc No 01/02/2018", "CS00038813 Date |", "Cashier ASIFA Time 16.07.00", "TOTAL 9.00")
    assert got["issue_date"] == "2018-02-01"
    parking = values("AMANO MALAYSIA SDN BHD", "ENTRY TIME 30/04/2017 (SUN) 20:22", "TOTAL 9.00")
    assert parking["issue_date"] == "2017-04-30"


def test_date_glued_to_its_label() -> None:
    got = values("SHOP SDN BHD", "Inv No :6KJ30785499 Date:D2/02/17 19:46", "TOTAL 9.00")
    assert got["issue_date"] == "2017-02-02"


def test_italian_province_code_is_not_ringgit() -> None:
    got = values("Bar Centrale S.r.l.", "Via Roma 93", "00185 Roma (RM)", "TOTALE EURO 3,50")
    assert got["currency"] == "EUR"
    assert got["supplier_address"] == "Via Roma 93, 00185 Roma (RM)"


@pytest.mark.parametrize(
    ("lines", "total"),
    [
        # The "TOTAL" row of the tax summary table (net and tax columns) is not the total paid.
        (["SUB-TOTAL (EX) 52.00", "TOTAL TAX 3.12", "TOTAL /N) sm 55.10", "GST SUMMARY", "SR 6.00 52.00 3.12",
          "TOTAL; 52.00 3.12"], "55.10"),
        # The total label is misread ("TOP,"): subtotal plus tax, printed below, is what was paid.
        (["Sub Total 2 RM 68.87", "Service Charge : RM 0.00", "GST/TAX 6% 5 RM 4.13", "TOP, RM 73.00",
          "CHANGE: RM 0.00"], "73.00"),
        # The total's amount is unreadable: subtotal, tax and rounding add up to it.
        (["SUB-TOTAL 49,06", "DISC 0.00", "GST 2.94", "ROUNDING 0.00", "TOTAL 32.0 00", "CHANGE 0.00",
          "GST SUMMARY", "TAX TOTAL: 2,94"], "52.00"),
        # Tax "included" in the total is not added to the subtotal.
        (["SUBTOTAL 10.60", "GST 6% included in total RM 0.60", "TOTAL 10.60"], "10.60"),
        # The OCR lost the decimal point of the total; cash less change says where it goes.
        (["Total - 9280", "Cash Received 100.00", "Change 7.20"], "92.80"),
        # The change's decimal point read as a dash: cash less change is the subtotal, the tax was included.
        (["SUB-TOTAL (ST) 24.00", "ROUNDING 0.00", "CASH 100.00", "CHANGE 76-00", "*GST @ 6% INCLUDED IN TOTAL",
          "TAX TOTAL: 1.36"], "24.00"),
        # ... or the subtotal printed above it does, when nothing was paid in cash.
        (["Subtotal 7.00", "Total inc! of GST 700 /", "Change Due 0 00"], "7.00"),
        # "Due" under "Rounding Adj", paid with "Fay" (Pay) and change.
        (["Qty i 7.50", "Rounding Adj 0.00", "Due 7.50", "Fay 20.00", "Change 12,50"], "7.50"),
        # A total above the cash handed over is misread: subtotal plus tax is what was paid.
        (["SUB-TOTAL 49.06", "GST 2.94", "ROUNDING 0.00", "TOTAL 352.00", "CASH 52.00", "CHANGE 0-00"], "52.00"),
        # ... or cash less change, when the grand total's label is misread too.
        (["i O Total 7 8280", "Grand Totali TTT 92.80", "Cash Received 100.00", "Change 7.20"], "92.80"),
        # Malaysian cash totals are rounded to 5 sen: the total after rounding is what was paid.
        (["Total Incl GST 48.93", "Rounding Adjustment 0.02", "Total After Rounding 48.95"], "48.95"),
        # ... also when the rounded total is printed on a bare "Rounding" row; the adjustment is no total.
        (["Total Sales (Inclusive GST) RM 45.34", "Rounding Adjustment RM 01", "Rounding RM 45.35",
          "CREDIT RM 45,35"], "45.35"),
        (["Total Sales RM 12.00", "Rounding RM 0.02", "CASH RM 20.00"], "12.00"),
    ],
)  # fmt: skip
def test_total_when_the_total_line_is_damaged(lines: list[str], total: str | None) -> None:
    assert values("SHOP SDN BHD", *lines).get("total_amount") == total


def test_service_charge_is_not_the_change() -> None:
    # "Service Charge" is one letter from "Change": were it the change, cash less it would not be the total.
    got = values("SHOP SDN BHD", "TOTAL 20.00", "TOTAL 25.00", "Service Charge : RM 5.00", "CASH 25.00")
    assert got["total_amount"] == "25.00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TEO HENG STATIONERY € BOOKS", "TEO HENG STATIONERY & BOOKS"),  # "&" read as a currency sign
        ("MEGAH RETAIL SDN SHB", "MEGAH RETAIL SDN BHD"),  # after SDN only BHD is printed
        ("ABC TRADING SDN. BH0.", "ABC TRADING SDN. BHD."),
        ("MR, D.I.Y. (KUCHAI) SDN BHD", "MR. D.I.Y. (KUCHAI) SDN BHD"),  # the honorific's full stop
        ("ABC SDN ONE", "ABC SDN ONE"),  # no letter of BHD: left alone
        ("MR DIY TRADING", "MR DIY TRADING"),
        ("Guardian Health And Beauty Scn Phd", "Guardian Health And Beauty Sdn Bhd"),  # a letter off in each
        ("Guardian Health And Beauty San hd", "Guardian Health And Beauty Sdn Bhd"),
        ("HOTEL SAN MARCO", "HOTEL SAN MARCO"),
        ("AEON CO. (H) BHD", "AEON CO. (M) BHD"),  # "(M)alaysia" before the legal form
        ("ENW HARDWARE CENTRE (N) SDN. BHD.", "ENW HARDWARE CENTRE (M) SDN. BHD."),
        ("SHOP (H) TRADING", "SHOP (H) TRADING"),
        ("RESTORAN SIN BAO", "RESTORAN SIN BAO"),
        ("BHPetro] Subang Airport", "BHPetrol Subang Airport"),  # a final l read as a bracket
        ("SHOP [KL] TRADING", "SHOP [KL] TRADING"),
        ("GARDENIA BAKERIES KL) SDN BILD", "GARDENIA BAKERIES (KL) SDN BHD"),  # "(" lost, H read as "IL"
        ("GARDENIA BAKERIES (KL) SDN BHD", "GARDENIA BAKERIES (KL) SDN BHD"),
        ("SMILEY :) SHOP", "SMILEY :) SHOP"),
    ],
)
def test_name_ocr_damage_repaired(text: str, expected: str) -> None:
    assert repair_name(text) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("No. 128G JLN $$21/35", "No. 128G JLN SS21/35"),  # "$" inside a word is an "S"
        ("THN PUTRA DENGKIL", "TMN PUTRA DENGKIL"),  # misread "TMN" (Taman)
        ("No: G3, Bik G,", "No: G3, Blk G,"),
        ("40150 Shah Alam, Selangor DE.", "40150 Shah Alam, Selangor D.E."),  # Darul Ehsan's stop lost
        ("KLANG SELANGOR D.E, MALAYSIA", "KLANG SELANGOR D.E, MALAYSIA"),
        ("SELANGOR DENGKIL", "SELANGOR DENGKIL"),
        ("23, Jin Burung Jentayu", "23, Jin Burung Jentayu"),  # "Jin" may be printed so: not respelled
        ("SRD FLA, AEON TAMAN MALURI SC", "3RD FLR, AEON TAMAN MALURI SC"),  # a floor's ordinal misread
        ("Ist Floor, Wisma Lim", "1st Floor, Wisma Lim"),
        ("SRD AVENUE", "SRD AVENUE"),  # no floor after it: left alone
        ("BANDAR PUTERI = 47100 PUCHONG", "BANDAR PUTERI 47100 PUCHONG"),  # a lone "=" is a speck
    ],
)
def test_address_line_ocr_damage_repaired(line: str, expected: str) -> None:
    assert repair_address_line(line) == expected


def test_address_drops_a_trailing_speck_and_a_garbled_registration_line() -> None:
    got = values(
        "HASHA PETROKIOSK",
        "Company No JI10G32980-V",  # the number garbled past the ID pattern, still under its label
        "Lot PTD 198718 Tmn Sierra P",
        "81750 Masai Johor .",
        "Telephone 073000190",
    )
    assert got["supplier_name"] == "HASHA PETROKIOSK"
    assert got["supplier_address"] == "Lot PTD 198718 Tmn Sierra P, 81750 Masai Johor"
