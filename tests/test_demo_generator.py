"""The demo data generator: deterministic, faithful to the data contract (pilotage.store.schema),
and rich enough that every KPI of the catalogue has something to show.

The files are read back with DuckDB's ``read_csv`` typed from the schema, so a value that does
not parse as its contract type fails the test, as it would fail an import.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pilotage.demo import generate
from pilotage.store import schema as S

END = dt.date(2026, 6, 1)
START = dt.date(2023, 6, 1)  # 36 months before END
SQL_TYPES = {S.STR: "VARCHAR", S.DATE: "DATE", S.DATETIME: "TIMESTAMP", S.MONEY: "DECIMAL(18, 2)",
             S.RATE: "DOUBLE", S.INT: "BIGINT"}
TEXT_FORMATS = {  # how each type must be written
    S.DATE: r"\d{4}-\d{2}-\d{2}",
    S.DATETIME: r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
    S.MONEY: r"-?\d+\.\d{2}",
    S.INT: r"\d+",
}
KEYED = [t for t in S.TABLES if t.key]
REFERENCES = [(t.name, c) for t in S.TABLES for c in t.columns if c.references]


def _read(folder: Path, table: S.Table, *, as_text: bool = False) -> str:
    path = folder / f"{table.name}.csv"
    if as_text:
        return f"read_csv('{path}', header = true, all_varchar = true)"
    columns = ", ".join(f"'{c.name}': '{SQL_TYPES[c.type]}'" for c in table.columns)
    return (f"read_csv('{path}', header = true, auto_detect = false, delim = ',', quote = '\"', "
            f"dateformat = '%Y-%m-%d', timestampformat = '%Y-%m-%d %H:%M:%S', "
            f"columns = {{{columns}}})")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("demo")
    return folder, generate(folder, seed=7, scale="small", end=END)


@pytest.fixture(scope="module")
def folder(generated) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def con(folder):
    """Every table as a typed view."""
    c = duckdb.connect()
    for t in S.TABLES:
        c.execute(f"CREATE VIEW {t.name} AS SELECT * FROM {_read(folder, t)}")
    yield c
    c.close()


def one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def all_rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# -- (a) determinism -------------------------------------------------------------------------

def test_same_seed_and_end_give_identical_files_and_another_seed_other_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    counts = generate(a, seed=3, end=END)
    assert generate(b, seed=3, end=END) == counts
    for t in S.TABLES:
        assert (a / f"{t.name}.csv").read_bytes() == (b / f"{t.name}.csv").read_bytes(), t.name
    generate(c, seed=4, end=END)
    for name in ("leads", "opportunities", "activities", "contracts"):
        assert (a / f"{name}.csv").read_bytes() != (c / f"{name}.csv").read_bytes(), name


def test_end_defaults_to_today_so_nothing_is_in_the_future(tmp_path):
    generate(tmp_path, seed=1)
    today = dt.date.today()
    c = duckdb.connect()
    rates = _read(tmp_path, S.table("exchange_rates"))
    leads = _read(tmp_path, S.table("leads"))
    opps = _read(tmp_path, S.table("opportunities"))
    last_day = today - dt.timedelta(days=1)  # the end is excluded
    assert one(c, f"SELECT max(valid_from) FROM {rates}") == last_day.replace(day=1)
    assert one(c, f"SELECT max(created_at) FROM {leads}") < dt.datetime.combine(today, dt.time())
    assert one(c, f"SELECT max(closed_at) FROM {opps}") < dt.datetime.combine(today, dt.time())


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale="huge")


# -- (b) the data contract -------------------------------------------------------------------

def test_one_file_per_table_with_the_returned_row_counts(generated):
    folder, counts = generated
    assert list(counts) == [t.name for t in S.TABLES]
    for t in S.TABLES:
        lines = (folder / f"{t.name}.csv").read_text(encoding="utf-8").splitlines()
        assert lines[0] == ",".join(t.column_names), t.name  # columns in the schema's order
        assert len(lines) - 1 == counts[t.name] > 0, t.name


@pytest.mark.parametrize("table", S.TABLES, ids=lambda t: t.name)
def test_values_are_written_in_the_contract_formats(con, folder, table):
    raw = _read(folder, table, as_text=True)
    for c in table.columns:
        if c.type in TEXT_FORMATS:
            bad = one(con, f"SELECT count(*) FROM {raw} WHERE {c.name} IS NOT NULL "
                           f"AND NOT regexp_full_match({c.name}, '{TEXT_FORMATS[c.type]}')")
            assert bad == 0, f"{table.name}.{c.name}"
    assert one(con, f"SELECT count(*) FROM {table.name}") > 0  # and every value parses


@pytest.mark.parametrize("table", KEYED, ids=lambda t: t.name)
def test_keys_are_unique(con, table):
    key = ", ".join(table.key)
    dupes = one(con, f"SELECT count(*) FROM (SELECT {key} FROM {table.name} GROUP BY ALL "
                     f"HAVING count(*) > 1)")
    assert dupes == 0


@pytest.mark.parametrize("table", S.TABLES, ids=lambda t: t.name)
def test_required_allowed_lowercase_bounds_and_checks(con, table):
    t = table.name
    for c in table.columns:
        if c.required:
            assert one(con, f"SELECT count(*) FROM {t} WHERE {c.name} IS NULL") == 0, c.name
        if c.allowed:
            allowed = ", ".join(f"'{v}'" for v in c.allowed)
            bad = one(con, f"SELECT count(*) FROM {t} WHERE {c.name} NOT IN ({allowed})")
            assert bad == 0, c.name
        if c.lowercase:
            assert one(con, f"SELECT count(*) FROM {t} WHERE {c.name} <> lower({c.name}) "
                            f"OR contains({c.name}, ' ')") == 0, c.name
        if c.min is not None:
            assert one(con, f"SELECT count(*) FROM {t} WHERE {c.name} < {c.min}") == 0, c.name
        if c.max is not None:
            assert one(con, f"SELECT count(*) FROM {t} WHERE {c.name} > {c.max}") == 0, c.name
    for condition, *message in table.checks:
        assert one(con, f"SELECT count(*) FROM {t} WHERE NOT ({condition})") == 0, message


@pytest.mark.parametrize(("table", "column"), REFERENCES, ids=lambda x: getattr(x, "name", x))
def test_references_resolve(con, table, column):
    target, key = column.references.split(".")
    missing = one(con, f"SELECT count(*) FROM {table} WHERE {column.name} IS NOT NULL "
                       f"AND {column.name} NOT IN (SELECT {key} FROM {target})")
    assert missing == 0


def test_stage_changes_and_opportunity_stages_exist_in_their_pipeline(con):
    assert one(con, """SELECT count(*) FROM opportunities o ANTI JOIN stages s
                       ON s.pipeline = o.pipeline AND s.stage = o.stage""") == 0
    assert one(con, """SELECT count(*) FROM stage_changes c
                       JOIN opportunities o USING (opportunity_id)
                       ANTI JOIN stages s ON s.pipeline = o.pipeline AND s.stage = c.stage""") == 0


def test_nothing_dated_outside_the_period(con):
    """Only open deals' expected close dates, the current quarter's quota end and the reps'
    hiring dates may fall outside [START, END)."""
    outside_ok = {("opportunities", "expected_close_date"), ("quotas", "period_end"),
                  ("reps", "hired_on")}
    for t in S.TABLES:
        for c in t.columns:
            if c.type in (S.DATE, S.DATETIME) and (t.name, c.name) not in outside_ok:
                bad = one(con, f"SELECT count(*) FROM {t.name} WHERE {c.name} < DATE '{START}' "
                               f"OR {c.name} >= DATE '{END}'")
                assert bad == 0, f"{t.name}.{c.name}"
    assert one(con, "SELECT min(expected_close_date) FROM opportunities") >= END
    assert one(con, "SELECT max(hired_on) FROM reps") < END


def test_opportunities_are_consistent(con):
    def none(where: str) -> None:
        assert one(con, f"SELECT count(*) FROM opportunities WHERE {where}") == 0, where

    none("(closed_at IS NULL) <> (status = 'open')")
    none("closed_at <= created_at")
    none("(forecast_category = 'closed') <> (status <> 'open')")
    none("(expected_close_date IS NULL) <> (status <> 'open')")
    none("(status = 'won') <> (stage = 'Signature')")  # won at the last stage, others before
    none("(lost_reason IS NULL) <> (status <> 'lost')")
    none("cost IS NOT NULL AND (status <> 'won' OR cost >= amount OR cost <= 0)")
    none(f"proposal_sent_at < created_at "
         f"OR proposal_sent_at > coalesce(closed_at, TIMESTAMP '{END}')")
    none("amount <= 0 OR currency NOT IN ('USD', 'GBP')")
    none("kind <> 'new_business' AND lead_id IS NOT NULL")
    assert one(con, """SELECT count(*) FROM opportunities o JOIN leads l USING (lead_id)
                       WHERE o.source IS DISTINCT FROM l.source OR o.created_at <= l.created_at
                          OR o.account_id IS DISTINCT FROM l.account_id""") == 0
    # a proposal was sent exactly when the deal reached the Proposition stage
    assert one(con, """SELECT count(*) FROM opportunities o
                       WHERE (proposal_sent_at IS NOT NULL) <> EXISTS (
                           SELECT 1 FROM stage_changes c WHERE c.opportunity_id = o.opportunity_id
                           AND c.stage = 'Proposition')""") == 0


def test_stage_history_walks_the_pipeline_in_order(con):
    history = """
        SELECT c.opportunity_id, c.entered_at, s.position, o.created_at, o.closed_at, o.status,
               o.stage AS current, c.stage,
               row_number() OVER (PARTITION BY c.opportunity_id ORDER BY s.position) AS k,
               lag(c.entered_at) OVER (PARTITION BY c.opportunity_id ORDER BY s.position) AS before,
               max(s.position) OVER (PARTITION BY c.opportunity_id) AS last
        FROM stage_changes c JOIN opportunities o USING (opportunity_id)
        JOIN stages s ON s.pipeline = o.pipeline AND s.stage = c.stage"""
    con.execute(f"CREATE OR REPLACE TEMP VIEW history AS {history}")
    assert one(con, "SELECT count(*) FROM history WHERE k <> position") == 0  # no stage skipped
    assert one(con, "SELECT count(*) FROM history WHERE k = 1 AND entered_at <> created_at") == 0
    assert one(con, "SELECT count(*) FROM history WHERE entered_at <= before") == 0
    assert one(con, "SELECT count(*) FROM history WHERE entered_at > coalesce(closed_at, "
                    "TIMESTAMP '2026-06-01')") == 0
    assert one(con, "SELECT count(*) FROM history WHERE position = last AND stage <> current") == 0
    assert one(con, "SELECT count(*) FROM history WHERE status = 'won' AND position = last "
                    "AND entered_at <> closed_at") == 0
    assert one(con, "SELECT count(*) FROM opportunities ANTI JOIN stage_changes "
                    "USING (opportunity_id)") == 0


def test_leads_funnel_is_consistent(con):
    def none(where: str) -> None:
        assert one(con, f"SELECT count(*) FROM leads WHERE {where}") == 0, where

    none("qualified_at <= created_at OR disqualified_at <= created_at")
    none("disqualified_at IS NOT NULL AND qualified_at IS NOT NULL")
    none("converted_at IS NOT NULL AND (qualified_at IS NULL OR converted_at <= qualified_at)")
    # converted = became a paying customer: exactly the leads whose deal was won, at its signature
    assert one(con, """SELECT count(*) FROM leads l LEFT JOIN opportunities o
                       ON o.lead_id = l.lead_id AND o.status = 'won'
                       WHERE l.converted_at IS DISTINCT FROM o.closed_at""") == 0


def test_customers_tables_are_consistent(con):
    # one contract per account that won new business, starting the day of its first win
    assert one(con, """SELECT count(*) FROM contracts c FULL JOIN (
                           SELECT account_id, min(closed_at)::DATE AS first_win FROM opportunities
                           WHERE kind = 'new_business' AND status = 'won' GROUP BY ALL) w
                       USING (account_id) WHERE c.start_date IS DISTINCT FROM w.first_win""") == 0
    for table, at in (("orders", "ordered_at"), ("surveys", "answered_at"),
                      ("referrals", "referred_at")):
        assert one(con, f"""SELECT count(*) FROM {table} x JOIN contracts c USING (account_id)
                            WHERE x.{at} < c.start_date
                               OR x.{at} >= coalesce(c.end_date, DATE '{END}') + 1""") == 0, table
    # upsells and renewals go to customers
    assert one(con, """SELECT count(*) FROM opportunities WHERE kind <> 'new_business'
                       AND account_id NOT IN (SELECT account_id FROM contracts)""") == 0


# -- (c) the small scale, and material for every KPI ----------------------------------------

def test_small_scale_sizes(generated):
    counts = generated[1]
    n = counts["opportunities"]
    assert 4_000 <= n <= 6_000
    assert 2 * n <= counts["leads"] <= 3 * n
    assert 9 * n <= counts["activities"] <= 11 * n
    assert counts["reps"] == 24 and counts["teams"] == 3 and counts["products"] >= 7
    assert 55 <= counts["campaigns"] <= 65  # ~20 a year


def test_every_pipeline_has_won_lost_and_open_deals(con):
    rows = all_rows(con, "SELECT pipeline, status, count(*) FROM opportunities GROUP BY ALL")
    found = {(p, s) for p, s, n in rows if n > 0}
    assert found == {(p, s) for p in ("default", "partenaires") for s in ("open", "won", "lost")}
    kinds = dict(all_rows(con, "SELECT kind, count(*) / sum(count(*)) OVER () FROM opportunities "
                               "GROUP BY ALL"))
    assert kinds["new_business"] > 0.75
    assert 0.05 < kinds["upsell"] < 0.15 and 0.02 < kinds["renewal"] < 0.08
    assert one(con, "SELECT count(*) FROM opportunities "
                    "WHERE lead_id IS NULL AND kind = 'new_business'") > 0
    assert one(con, "SELECT count(DISTINCT forecast_category) FROM opportunities "
                    "WHERE status = 'open'") == 3


def test_foreign_amounts_have_their_rates(con):
    share = one(con, "SELECT avg((currency IS NOT NULL)::INT) FROM opportunities")
    assert 0.05 < share < 0.11
    assert one(con, "SELECT count(DISTINCT currency) FROM opportunities") == 2
    assert one(con, """SELECT count(*) FROM opportunities o
                       WHERE currency IS NOT NULL AND NOT EXISTS (
                           SELECT 1 FROM exchange_rates r WHERE r.currency = o.currency
                           AND r.valid_from <= coalesce(o.closed_at, o.created_at))""") == 0
    months = one(con, "SELECT count(*) FROM exchange_rates WHERE currency = 'USD'")
    assert months == 36
    rates = dict(all_rows(con, "SELECT currency, avg(rate) FROM exchange_rates GROUP BY ALL"))
    assert rates == {"USD": pytest.approx(0.92, abs=0.05), "GBP": pytest.approx(1.17, abs=0.06)}


def test_channels_convert_differently_and_leads_have_a_season_and_a_trend(con):
    rate = dict(all_rows(con, "SELECT source, avg((converted_at IS NOT NULL)::INT) FROM leads "
                              "GROUP BY ALL"))
    assert set(rate) == set(S.SOURCES)
    assert rate["referral"] > 3 * rate["cold_email"]
    qualified = one(con, "SELECT avg((qualified_at IS NOT NULL)::INT) FROM leads")
    assert 0.3 <= qualified <= 0.6
    assert one(con, "SELECT count(*) FROM leads WHERE campaign_id IS NOT NULL") > 0
    by_month = dict(all_rows(con, "SELECT month(created_at), count(*) FROM leads GROUP BY ALL"))
    assert by_month[8] < 0.6 * by_month[9]
    [(last, before)] = all_rows(con, f"""SELECT
        count(*) FILTER (WHERE created_at >= DATE '{END}' - INTERVAL 12 MONTH),
        count(*) FILTER (WHERE created_at < DATE '{END}' - INTERVAL 12 MONTH
                         AND created_at >= DATE '{END}' - INTERVAL 24 MONTH) FROM leads""")
    assert 1.1 < last / before < 1.35


def test_reps_are_uneven_and_teams_change(con):
    rates = [r[0] for r in all_rows(con, """
        SELECT avg((status = 'won')::INT) FROM opportunities
        WHERE status <> 'open' AND kind = 'new_business'
        GROUP BY owner_rep_id HAVING count(*) >= 50""")]
    assert min(rates) < 0.2 and max(rates) > 0.35
    assert one(con, "SELECT count(*) FROM reps WHERE left_on IS NOT NULL") >= 1
    assert one(con, f"SELECT count(*) FROM reps WHERE hired_on >= DATE '{START}'") >= 1
    assert one(con, "SELECT count(*) FROM teams WHERE manager_rep_id IS NULL") == 0
    assert one(con, "SELECT min(annual_compensation) >= 45000 "
                    "AND max(annual_compensation) <= 120000 FROM reps")
    # a rep who left owns no deal still open, and does nothing after leaving
    assert one(con, """SELECT count(*) FROM activities a JOIN reps r USING (rep_id)
                       WHERE a.occurred_at >= r.left_on OR a.occurred_at < r.hired_on""") == 0


def test_customers_churn_order_answer_and_recommend(con):
    [(churned, active)] = all_rows(con, "SELECT count(end_date), count(*) - count(end_date) "
                                        "FROM contracts")
    assert churned > 0 and active > churned
    assert one(con, "SELECT count(*) / count(DISTINCT account_id) FROM orders") > 2
    nps = one(con, "SELECT 100 * (avg((nps_score >= 9)::INT) - avg((nps_score <= 6)::INT)) "
                   "FROM surveys")
    assert 20 <= nps <= 40
    assert one(con, """SELECT count(*) FROM referrals f JOIN leads l USING (lead_id)
                       WHERE l.source = 'referral'""") > 0
    assert one(con, "SELECT count(*) FROM referrals WHERE lead_id IS NOT NULL AND lead_id NOT IN "
                    "(SELECT lead_id FROM leads WHERE source = 'referral')") == 0


def test_activities_feed_the_activity_kpis(con):
    types = dict(all_rows(con, "SELECT type, count(*) FROM activities GROUP BY ALL"))
    assert set(types) == set(S.ACTIVITY_TYPES)
    assert one(con, "SELECT count(*) FROM activities WHERE type = 'social_post' AND views > 0 "
                    "AND likes IS NOT NULL AND opportunity_id IS NULL") == types["social_post"]
    assert one(con, "SELECT count(*) FROM activities WHERE (content_id IS NOT NULL) <> "
                    "(type = 'content_share')") == 0
    usage = one(con, """SELECT count(DISTINCT opportunity_id) FILTER (WHERE type = 'content_share')
                        / (SELECT count(*) FROM opportunities) FROM activities""")
    assert 0.15 < usage < 0.35
    assert one(con, "SELECT count(*) FROM activities WHERE lead_id IS NOT NULL") > 0


def test_quotas_per_rep_and_team_are_reachable_by_about_half(con):
    rep_quotas = one(con, "SELECT count(*) FROM quotas WHERE rep_id IS NOT NULL")
    assert one(con, "SELECT count(*) FROM quotas WHERE team_id IS NOT NULL") > 0
    assert one(con, "SELECT count(*) FROM quotas WHERE metric <> 'revenue'") == 0
    assert one(con, "SELECT count(*) FROM quotas WHERE month(period_start) NOT IN (1, 4, 7, 10) "
                    "OR period_end <> period_start + INTERVAL 3 MONTH") == 0
    assert one(con, "SELECT count(*) FROM (SELECT rep_id, period_start FROM quotas WHERE rep_id "
                    "IS NOT NULL GROUP BY ALL HAVING count(*) > 1)") == 0
    reached = one(con, f"""
        WITH revenue AS (
            SELECT owner_rep_id AS rep_id, date_trunc('quarter', closed_at)::DATE AS q,
                   sum(amount * coalesce(r.rate, 1)) AS value
            FROM opportunities o LEFT JOIN exchange_rates r ON r.currency = o.currency
                 AND r.valid_from = date_trunc('month', o.closed_at)::DATE
            WHERE status = 'won' GROUP BY ALL)
        SELECT avg((coalesce(value, 0) >= target)::INT) FROM quotas
        LEFT JOIN revenue v ON v.rep_id = quotas.rep_id AND v.q = period_start
        WHERE quotas.rep_id IS NOT NULL AND period_end <= DATE '{END}'""")
    assert rep_quotas > 0 and 0.4 <= reached <= 0.7


def test_prices_campaigns_and_stages(con):
    assert one(con, "SELECT count(DISTINCT competitor) FROM competitor_prices") == 3
    assert one(con, """SELECT count(*) FROM (
                           SELECT product_id, competitor, date_trunc('month', observed_on)
                           FROM competitor_prices GROUP BY ALL HAVING count(*) <> 1)""") == 0
    assert one(con, "SELECT count(*) FROM competitor_prices") == 7 * 3 * 36
    assert one(con, "SELECT count(*) FROM campaigns WHERE cost <= 0 OR ended_on < started_on") == 0
    assert one(con, "SELECT count(*) FROM campaigns WHERE channel NOT IN "
                    f"({', '.join(repr(s) for s in S.SOURCES)})") == 0
    probabilities = all_rows(con, """SELECT pipeline, list(default_probability ORDER BY position)
                                     FROM stages GROUP BY ALL""")
    assert {p for p, _ in probabilities} == {"default", "partenaires"}
    for _, probs in probabilities:
        assert probs == sorted(probs) and probs[0] > 0 and probs[-1] < 1
