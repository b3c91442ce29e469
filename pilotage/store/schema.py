"""The canonical tables of the data contract (docs: ../shared/spec/data-contract.md), as data.

Everything that reads or writes the store uses these declarations: the schema
creation, the importer's checks (types, required columns, allowed values, keys,
references) and the demo data generator. Change the contract here, and add a
migration in :mod:`pilotage.store.migrations` for existing databases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Storage types. Amounts are exact decimals; datetimes are naive wall-clock times
# in the workspace time zone (an ISO datetime with an offset is converted on import).
STR, DATE, DATETIME, MONEY, RATE, INT = "str", "date", "datetime", "money", "rate", "int"

IBIS_TYPES = {
    STR: "string",
    DATE: "date",
    DATETIME: "timestamp",
    MONEY: "decimal(18, 2)",
    RATE: "float64",
    INT: "int64",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False  # not null
    references: str | None = None  # "table.column"
    allowed: tuple[str, ...] | None = None
    default: str | None = None  # value used when the cell is empty
    lowercase: bool = False  # normalised to lower snake case on import
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # upsert key; () = no key, rows are replaced by the whole file
    required_file: bool = False  # a canonical folder must hold it
    doc: str = ""
    checks: tuple[tuple[str, str, str], ...] = field(default=())  # (SQL condition that must hold, column, message)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def C(name: str, type: str = STR, **kw) -> Column:  # noqa: N802 - short constructor for the table below
    return Column(name, type, **kw)


SOURCES = (
    "linkedin", "cold_email", "cold_call", "event", "website", "paid_web",
    "word_of_mouth", "referral", "social_other", "partner", "other",
)
ACTIVITY_TYPES = ("call", "email", "meeting", "proposal", "content_share", "social_post", "other")

TABLES: tuple[Table, ...] = (
    Table("teams", (
        C("team_id", required=True), C("name", required=True),
        C("manager_rep_id", references="reps.rep_id"),
        C("parent_team_id", references="teams.team_id"),
    ), key=("team_id",), doc="Sales teams (a manager of a team manages its sub-teams, parent_team_id)."),
    Table("reps", (
        C("rep_id", required=True), C("name", required=True), C("email"),
        C("team_id", references="teams.team_id"), C("hired_on", DATE), C("left_on", DATE),
        C("annual_compensation", MONEY, min=0),
    ), key=("rep_id",), required_file=True, doc="Sales representatives."),
    Table("accounts", (
        C("account_id", required=True), C("name", required=True), C("segment"),
        C("industry"), C("region"), C("created_at", DATE),
    ), key=("account_id",), doc="Companies and customers."),
    Table("campaigns", (
        C("campaign_id", required=True), C("name", required=True), C("channel", lowercase=True),
        C("started_on", DATE), C("ended_on", DATE), C("cost", MONEY, min=0),
    ), key=("campaign_id",), doc="Marketing and commercial actions."),
    Table("products", (
        C("product_id", required=True), C("name", required=True),
        C("list_price", MONEY, min=0), C("unit_cost", MONEY, min=0),
    ), key=("product_id",), doc="What is sold."),
    Table("leads", (
        C("lead_id", required=True), C("created_at", DATETIME, required=True),
        C("source", required=True, lowercase=True),
        C("campaign_id", references="campaigns.campaign_id"),
        C("owner_rep_id", references="reps.rep_id"),
        C("account_id", references="accounts.account_id"),
        C("qualified_at", DATETIME), C("converted_at", DATETIME), C("disqualified_at", DATETIME),
    ), key=("lead_id",), required_file=True, doc="Leads (prospects) as they arrive."),
    Table("opportunities", (
        C("opportunity_id", required=True), C("lead_id", references="leads.lead_id"),
        C("account_id", references="accounts.account_id"),
        C("owner_rep_id", required=True, references="reps.rep_id"),
        C("source", lowercase=True),
        C("kind", required=True, allowed=("new_business", "upsell", "renewal"), default="new_business"),
        C("pipeline", required=True, default="default"),
        C("created_at", DATETIME, required=True), C("expected_close_date", DATE),
        C("forecast_category", allowed=("pipeline", "best_case", "commit", "omitted", "closed")),
        C("stage", required=True),
        C("status", required=True, allowed=("open", "won", "lost")),
        C("amount", MONEY, required=True), C("currency"), C("cost", MONEY),
        C("proposal_sent_at", DATETIME), C("closed_at", DATETIME),
        C("product_id", references="products.product_id"), C("lost_reason"),
    ), key=("opportunity_id",), required_file=True, doc="Opportunities (deals).",
        checks=(("status = 'open' OR closed_at IS NOT NULL", "closed_at", "required when status is won or lost"),)),
    Table("stages", (
        C("pipeline", required=True, default="default"), C("stage", required=True),
        C("position", INT, required=True, min=1), C("default_probability", RATE, min=0, max=1),
    ), key=("pipeline", "stage"), doc="Each pipeline's stages, in order."),
    Table("stage_changes", (
        C("opportunity_id", required=True, references="opportunities.opportunity_id"),
        C("stage", required=True), C("entered_at", DATETIME, required=True),
    ), key=("opportunity_id", "stage", "entered_at"), doc="Opportunity stage history."),
    Table("activities", (
        C("activity_id", required=True), C("rep_id", required=True, references="reps.rep_id"),
        C("type", required=True, allowed=ACTIVITY_TYPES, lowercase=True),
        C("occurred_at", DATETIME, required=True),
        C("lead_id", references="leads.lead_id"),
        C("opportunity_id", references="opportunities.opportunity_id"),
        C("account_id", references="accounts.account_id"),
        C("content_id"), C("views", INT, min=0), C("likes", INT, min=0),
    ), key=("activity_id",), doc="Calls, emails, meetings, content shares, social posts."),
    Table("contracts", (
        C("contract_id", required=True), C("account_id", required=True, references="accounts.account_id"),
        C("start_date", DATE, required=True), C("end_date", DATE),
        C("recurring_amount", MONEY),
    ), key=("contract_id",), doc="Recurring customers (churn, retention).",
        checks=(("end_date IS NULL OR end_date >= start_date", "end_date", "before start_date"),)),
    Table("orders", (
        C("order_id", required=True), C("account_id", required=True, references="accounts.account_id"),
        C("ordered_at", DATETIME, required=True), C("amount", MONEY, required=True), C("currency"),
    ), key=("order_id",), doc="Customer purchases (basket, lifetime value)."),
    Table("surveys", (
        C("survey_id", required=True), C("account_id", references="accounts.account_id"),
        C("answered_at", DATETIME, required=True), C("nps_score", INT, required=True, min=0, max=10),
    ), key=("survey_id",), doc="NPS answers."),
    Table("referrals", (
        C("referral_id", required=True), C("account_id", required=True, references="accounts.account_id"),
        C("referred_at", DATETIME, required=True), C("lead_id", references="leads.lead_id"),
    ), key=("referral_id",), doc="Recommendations made by customers."),
    Table("competitor_prices", (
        C("product_id", required=True, references="products.product_id"),
        C("competitor", required=True), C("observed_on", DATE, required=True),
        C("price", MONEY, required=True, min=0),
    ), key=("product_id", "competitor", "observed_on"), doc="Competitors' prices."),
    Table("exchange_rates", (
        C("currency", required=True), C("valid_from", DATE, required=True),
        C("rate", RATE, required=True, min=0),
    ), key=("currency", "valid_from"), doc="Units of workspace currency for 1 unit of currency."),
    Table("quotas", (
        C("quota_id", required=True), C("rep_id", references="reps.rep_id"),
        C("team_id", references="teams.team_id"), C("metric", required=True),
        C("period_start", DATE, required=True), C("period_end", DATE, required=True),
        C("target", MONEY, required=True, min=0),
    ), key=("quota_id",), doc="Objectives per rep or team.",
        checks=(("(rep_id IS NULL) <> (team_id IS NULL)", "rep_id", "exactly one of rep_id and team_id must be set"),
                ("period_end > period_start", "period_end", "must be after period_start"))),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    return BY_NAME[name]
