"""Numbers and dates as real exports write them, parsed in the database (values worked out by hand)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

import pilotage
from pilotage.importer import values as V
from tests.importer.conftest import imp, one, rows, write

NB, NNB = "\u00a0", "\u202f"


def parse_numbers(values: list[str], decimal: str, percent: str = "reject") -> list:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INT, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    return [r[0] for r in con.execute(f"SELECT {V.number_value_sql('v', decimal, percent=percent)} FROM t "
                                      f"ORDER BY i").fetchall()]


@pytest.mark.parametrize("text, expected", [
    (f"1{NB}234,56 €", Decimal("1234.56")),       # non-breaking space (Excel, fr_FR)
    (f"1{NNB}234,56{NNB}€", Decimal("1234.56")),  # narrow non-breaking space (recent fr_FR formats)
    ("1 234,56 €", Decimal("1234.56")),
    ("1.234,56", Decimal("1234.56")),
    ("1.234.567,8", Decimal("1234567.8")),
    ("€1,234.56", Decimal("1234.56")),            # the sign before
    ("1 234,56 EUR", Decimal("1234.56")),         # the code after
    ("USD 1,234.56", Decimal("1234.56")),
    ("(1 234)", Decimal("-1234")),                # accounting negative
    ("-45,5", Decimal("-45.5")),
    ("45,5-", Decimal("-45.5")),                  # trailing minus (SAP, some ERPs)
    ("12,5", Decimal("12.5")),
    ("0,75", Decimal("0.75")),
    ("1e3", Decimal("1000")),
    ("douze", None),
    ("1.2.3", None),
    ("12,5 %", None),                             # a percentage is not an amount
])
def test_amounts(text, expected):
    assert parse_numbers([text], ",")[0] == expected


def test_a_value_that_cannot_tell_follows_the_column():
    # 1,234 alone is 1.234 (French) or 1234 (English): the column decides, the value's own marks win
    assert parse_numbers(["1,234", "1.234", "12.5"], ",") == [Decimal("1.234"), Decimal("1234"), Decimal("12.5")]
    assert parse_numbers(["1,234", "1.234", "12,5"], ".") == [Decimal("1234"), Decimal("1.234"), Decimal("12.5")]


def test_percentages():
    assert parse_numbers(["12,5 %", "12,5%", "0,3"], ",", "fraction") == pytest.approx([0.125, 0.125, 0.3])
    assert parse_numbers(["20", "75,5"], ",", "always") == pytest.approx([0.2, 0.755])


HEADER = "Record ID,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"


def deals(*lines: str) -> str:
    return HEADER + "".join(f"{i + 1},{line}\n" for i, line in enumerate(lines))


def test_amounts_in_a_crm_export_and_their_column_decision(mem, tmp_path):
    f = write(tmp_path / "deals.csv", "ID de fiche d'informations;Phase de la transaction;Montant;Date de création\n"
              f"1;Contrat envoyé;1{NNB}234,56 €;05/01/2024\n2;Contrat envoyé;1.234;06/01/2024\n"
              f"3;Contrat envoyé;(100);07/01/2024\n", "utf-8-sig")
    imp(mem, f)
    # French headers, comma decimals elsewhere in the column: 1.234 is one thousand two hundred thirty-four
    assert rows(mem, "SELECT opportunity_id, amount FROM opportunities ORDER BY 1") == [
        ("1", Decimal("1234.56")), ("2", Decimal("1234.00")), ("3", Decimal("-100.00"))]


def test_day_month_order_is_inferred_per_column(mem, tmp_path):
    f = write(tmp_path / "deals.csv", deals("Closed Won,10,31/01/2024,05/02/2024,A",   # 31: day first
                                            "Closed Won,10,05/02/2024,06/03/2024,A"))
    imp(mem, f)
    assert rows(mem, "SELECT created_at, closed_at FROM opportunities ORDER BY opportunity_id") == [
        (dt.datetime(2024, 1, 31), dt.datetime(2024, 2, 5)), (dt.datetime(2024, 2, 5), dt.datetime(2024, 3, 6))]


def test_month_day_order_is_inferred_too(mem, tmp_path):
    f = write(tmp_path / "deals.csv", deals("Closed Won,10,01/31/2024,02/15/2024,A",
                                            "Closed Won,10,02/05/2024,03/06/2024,A"))
    imp(mem, f)
    assert rows(mem, "SELECT created_at, closed_at FROM opportunities ORDER BY opportunity_id") == [
        (dt.datetime(2024, 1, 31), dt.datetime(2024, 2, 15)), (dt.datetime(2024, 2, 5), dt.datetime(2024, 3, 6))]


def test_a_column_that_stays_ambiguous_is_rejected_and_says_so(mem, tmp_path):
    f = write(tmp_path / "deals.csv", deals("Closed Won,10,05/02/2024,2024-03-01,A",
                                            "Closed Won,10,06/03/2024,2024-03-02,A"))
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f)
    msg = str(exc.value)
    assert "Create Date: dates such as '05/02/2024' (line 2) read as day/month or month/day" in msg
    assert "the order stays ambiguous" in msg
    assert one(mem, "SELECT count(*) FROM opportunities") == 0
    # the user tells: --date-order dmy
    imp(mem, f, date_order="dmy")
    assert one(mem, "SELECT min(created_at) FROM opportunities") == dt.datetime(2024, 2, 5)


def test_an_ambiguous_column_follows_the_other_date_columns_of_the_file(mem, tmp_path):
    f = write(tmp_path / "deals.csv", deals("Closed Won,10,05/02/2024,28/02/2024,A"))
    report = imp(mem, f)
    assert one(mem, "SELECT created_at FROM opportunities") == dt.datetime(2024, 2, 5)
    assert any("read as day/month, like the file's other date columns" in n for n in report.files[0]["notes"])


def test_a_column_mixing_both_orders_is_rejected(mem, tmp_path):
    f = write(tmp_path / "deals.csv", deals("Closed Won,10,31/01/2024,2024-02-01,A",
                                            "Closed Won,10,01/31/2024,2024-02-01,A"))
    with pytest.raises(pilotage.ImportRejected, match=r"Create Date: the column mixes day/month dates "
                                                      r"\(line 2: '31/01/2024'\) and month/day dates "
                                                      r"\(line 3: '01/31/2024'\)"):
        imp(mem, f)


def test_every_date_shape_a_crm_writes(mem, tmp_path):
    f = write(tmp_path / "deals.csv", deals(
        "Closed Won,1,2024-03-31T22:30:00Z,2024-04-02,A",            # UTC: 00:30 on April 1st in Paris
        "Closed Won,1,2024-07-01T10:00:00+02:00,2024-07-02,A",       # an offset
        "Closed Won,1,2024-01-15T08:30:00.000+0000,2024-01-16,A",    # Salesforce Data Loader
        "Closed Won,1,45322,45322.5,A",                              # Excel serial numbers
        "Closed Won,1,31 janv. 2024,1er février 2024,A",             # French month names
        "Closed Won,1,mercredi 31 janvier 2024 à 10h30,31-Jan-2024,A",
        '"Closed Won",1,"Jan 31, 2024","February 1, 2024",A',        # English ones
        "Closed Won,1,31/01/2024 14:05,01/02/2024,A",
        "Closed Won,1,20240131,2024/02/01,A",
    ))
    imp(mem, f)
    got = rows(mem, "SELECT CAST(opportunity_id AS INT), created_at, closed_at FROM opportunities ORDER BY 1")
    d = dt.datetime
    assert got == [
        (1, d(2024, 4, 1, 0, 30), d(2024, 4, 2)),
        (2, d(2024, 7, 1, 10, 0), d(2024, 7, 2)),
        (3, d(2024, 1, 15, 9, 30), d(2024, 1, 16)),
        (4, d(2024, 1, 31), d(2024, 1, 31, 12, 0)),
        (5, d(2024, 1, 31), d(2024, 2, 1)),
        (6, d(2024, 1, 31, 10, 30), d(2024, 1, 31)),
        (7, d(2024, 1, 31), d(2024, 2, 1)),
        (8, d(2024, 1, 31, 14, 5), d(2024, 2, 1)),
        (9, d(2024, 1, 31), d(2024, 2, 1)),
    ]


def test_impossible_dates_are_rejected_with_their_line(mem, tmp_path):
    f = write(tmp_path / "deals.csv", deals("Closed Won,10,31/01/2024,2024-02-01,A",
                                            "Closed Won,10,31/02/2024,2024-03-01,A",
                                            "Closed Won,10,hier,2024-03-01,A"))
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f)
    msg = str(exc.value)
    assert "deals.csv:3: Create Date: not a date ('31/02/2024')" in msg
    assert "deals.csv:4: Create Date: not a date ('hier')" in msg


def test_us_twelve_hour_times_utc_suffixes_and_french_excel_serials(mem, tmp_path):
    """A US Salesforce report writes '12/4/2023, 10:05 AM'; some exports write '... UTC'; a French Excel writes
    the serial number 45322,5 (noon on 2024-01-31). Worked out by hand; Paris is UTC+1 in January."""
    f = write(tmp_path / "deals.csv", deals(
        '"Closed Won",1,"12/4/2023, 10:05 AM","12/31/2023 11:59:59 PM",A',
        '"Closed Won",1,"1/31/2024, 12:05 AM","2/1/2024, 12:30 PM",A',
        '"Closed Won",1,"1/15/2024, 2:05 PM","2/1/2024",A',
    ))
    imp(mem, f)
    d = dt.datetime
    assert rows(mem, "SELECT CAST(opportunity_id AS INT), created_at, closed_at FROM opportunities ORDER BY 1") == [
        (1, d(2023, 12, 4, 10, 5), d(2023, 12, 31, 23, 59, 59)),
        (2, d(2024, 1, 31, 0, 5), d(2024, 2, 1, 12, 30)),   # 12 AM is midnight, 12 PM is noon
        (3, d(2024, 1, 15, 14, 5), d(2024, 2, 1)),
    ]
    g = write(tmp_path / "more.csv", deals(
        "Closed Won,1,2024-01-31 10:00 UTC,45322,A",
        "Closed Won,1,2024-01-31T10:00Z,\"45322,5\",A",
    ))
    imp(mem, g)
    assert rows(mem, "SELECT CAST(opportunity_id AS INT), created_at, closed_at FROM opportunities ORDER BY 1")[:2] \
        == [(1, d(2024, 1, 31, 11, 0), d(2024, 1, 31)), (2, d(2024, 1, 31, 11, 0), d(2024, 1, 31, 12, 0))]


def test_an_ambiguous_column_read_by_the_headers_language_says_so(mem, tmp_path):
    """French HubSpot headers, every date with day and month <= 12: read as day/month (the French order), and
    the summary says so, since nothing in the column told."""
    f = write(tmp_path / "deals.csv", "ID de fiche d'informations;Phase de la transaction;Montant;Date de création\n"
              "1;Contrat envoyé;100;05/01/2024\n2;Contrat envoyé;200;06/02/2024\n", "utf-8-sig")
    report = imp(mem, f)
    assert rows(mem, "SELECT opportunity_id, created_at FROM opportunities ORDER BY 1") == [
        ("1", dt.datetime(2024, 1, 5)), ("2", dt.datetime(2024, 2, 6))]
    assert "Date de création: dates such as '05/01/2024' read as day/month, the order of French hubspot exports " \
           "(no value in the column tells; --date-order to choose)" in report.files[0]["notes"]
