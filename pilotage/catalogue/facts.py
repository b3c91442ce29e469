"""Facts: the canonical tables enriched with the dimensions and amounts KPIs read.

A fact is an Ibis table expression built from the canonical tables. Its
dimension columns carry the names users cut by (``rep``, ``team``, ``source``,
``campaign``, ``segment``, ``region``, ``industry``, ``product``, ``pipeline``,
``stage``, ``kind``); money columns are already converted to the workspace
currency (``unconverted`` flags the rows whose exchange rate is missing).

*Event* facts have date columns that measures use as anchors. *Periodic*
facts describe a state per period (open pipeline at the end of P, customers
active at its start...) and are built from ``ctx.periods``, a small table of
``period`` (label), ``p_start`` and ``p_end`` (the period's bounds within the
range).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
from ibis import _

OPP_DIMS = ("rep", "team", "source", "campaign", "segment", "region", "industry",
            "product", "pipeline", "stage", "kind")
ACCOUNT_DIMS = ("segment", "region", "industry")
REP_DIMS = ("rep", "team")
QUOTA_METRICS = ("revenue", "gross_margin", "deals_won", "activities")  # which quotas count, in order
FAR_FUTURE = ibis.date("9999-12-31")


@dataclass(frozen=True)
class Fact:
    name: str
    dims: tuple[str, ...]
    build: Callable  # (ctx) -> ibis.Table
    requires: tuple[str | tuple[str, ...], ...]  # tables that must hold rows; a tuple = any of them
    periodic: bool = False
    doc: str = ""
    show: tuple[str, ...] = ()  # the columns a person reads first when checking a figure
    # few rows from much work (learned probabilities, per-quota results): the engine keeps it as a
    # temporary table per state of the data; other facts are read from the base tables by every query
    materialize: bool = False
    # build(ctx, needs) leaves out the lookups that provide none of the columns ``needs`` lists
    prunable: bool = False
    # ``team`` is the team of ``rep`` in the reps table (a lookup): a grouping by rep gives it
    team_from_rep: bool = False


FACTS: dict[str, Fact] = {}

# Flag columns that make a sum incomplete, and the warning the engine shows when rows carry them.
# (flag, summed column it concerns or None for any sum): message with {n}
WARNING_FLAGS = {
    ("unconverted", None): "{n} record(s) in another currency have no exchange rate on their date: "
                           "left out of the sum (add the rates to exchange_rates)",
    ("unweighted", "weighted"): "{n} open opportunity(ies) stand at a stage with no learned nor default "
                                "probability: left out of the weighted pipeline (set stages.default_probability)",
}


def fact(name: str, dims, requires, periodic: bool = False, show=(), materialize: bool = False,
         prunable: bool = False, team_from_rep: bool = False):
    def register(fn):
        FACTS[name] = Fact(name, tuple(dims), fn, tuple(requires), periodic, (fn.__doc__ or "").strip(),
                           tuple(show), materialize, prunable, team_from_rep)
        return fn
    return register


# --------------------------------------------------------------------------- helpers
def _rep_team(ctx) -> ibis.Table:
    r = ctx.t("reps")
    return r.select(rep_key=r.rep_id, team=r.team_id)


def _account_dims(ctx) -> ibis.Table:
    a = ctx.t("accounts")
    return a.select(account_key=a.account_id, segment=a.segment, region=a.region, industry=a.industry)


def _convert(ctx, t: ibis.Table, amount_cols: tuple[str, ...], on_date) -> ibis.Table:
    """Amounts to the workspace currency at the rate in force on ``on_date`` (a date expression).

    Adds ``unconverted`` (a foreign amount with no rate: its converted amount is null).
    """
    rates = ctx.t("exchange_rates")
    w = ibis.window(group_by=rates.currency, order_by=rates.valid_from)
    rates = rates.select(
        r_currency=rates.currency, r_from=rates.valid_from,
        r_to=rates.valid_from.lead().over(w), rate=rates.rate,
    )
    t = t.mutate(conv_on=on_date)
    home = t.currency.isnull() | (t.currency == ctx.settings.currency)
    j = t.left_join(
        rates,
        [t.currency == rates.r_currency, t.conv_on >= rates.r_from,
         rates.r_to.isnull() | (t.conv_on < rates.r_to)],
    )
    home = j.currency.isnull() | (j.currency == ctx.settings.currency)
    conv = {c: ibis.cases((home, j[c].cast("float64")), else_=j[c].cast("float64") * j.rate)
            for c in amount_cols}
    return j.mutate(**conv, unconverted=(~home) & j.rate.isnull()).drop(
        "r_currency", "r_from", "r_to", "rate", "conv_on")


def _ts(col):
    return col.cast("timestamp")


# --------------------------------------------------------------------------- event facts
# The three large event facts take ``needs``: the columns a query reads (None: all). A lookup
# (a LEFT JOIN on a unique key: the importer guarantees unique keys) that provides none of them
# is left out, since no engine can drop an unused LEFT JOIN without declared keys: at 10M
# activities the join to ``reps`` for the team alone doubled the cost of counting them.
def _wants(needs, *cols) -> bool:
    return needs is None or any(c in needs for c in cols)


def _owner_and_account(ctx, j, needs, cols: list[str]):
    """``j`` (a table with ``owner_rep_id`` and ``account_id``) joined to its owner's team and its account's
    segment, region and industry when ``needs`` reads them; the columns to select with them."""
    if _wants(needs, "team"):
        rt = _rep_team(ctx)
        j = j.left_join(rt, j.owner_rep_id == rt.rep_key)
        cols = [*cols, "team"]
    if _wants(needs, *ACCOUNT_DIMS):
        ad = _account_dims(ctx)
        j = j.left_join(ad, j.account_id == ad.account_key)
        cols = [*cols, *ACCOUNT_DIMS]
    return j, cols


def _plus(needs, *cols) -> frozenset[str] | None:
    """What a fact built on another needs of it: its own needs and the columns it reads itself."""
    return None if needs is None else frozenset(needs) | set(cols)


@fact("activities", REP_DIMS, ["activities"], prunable=True, team_from_rep=True,
      show=("activity_id", "type", "occurred_at", "rep", "opportunity_id", "views", "likes"))
def activities(ctx, needs=None):
    """Activities with their rep's team."""
    a = ctx.t("activities")
    cols = ["activity_id", "type", "occurred_at", "opportunity_id", "lead_id", "account_id",
            "content_id", "views", "likes"]
    if not _wants(needs, "team"):
        return a.select(*cols, rep=a.rep_id)
    rt = _rep_team(ctx)
    j = a.left_join(rt, a.rep_id == rt.rep_key)
    return j.select(*cols, rep=j.rep_id, team=j.team)


@fact("leads", ("rep", "team", "source", "campaign", *ACCOUNT_DIMS), ["leads"], prunable=True, team_from_rep=True,
      show=("lead_id", "created_at", "source", "rep", "qualified_at", "converted_at"))
def leads(ctx, needs=None):
    """Leads with their owner's team and their account's segment, region and industry."""
    j, cols = _owner_and_account(ctx, ctx.t("leads"), needs, [
        "lead_id", "created_at", "qualified_at", "converted_at", "disqualified_at", "source", "account_id"])
    return j.select(*cols, campaign=j.campaign_id, rep=j.owner_rep_id)


MONEY = ("amount", "cost", "margin", "unconverted")


@fact("opportunities", OPP_DIMS, ["opportunities"], prunable=True, team_from_rep=True,
      show=("opportunity_id", "rep", "created_at", "closed_at", "status", "stage", "amount", "cost", "cycle_days"))
def opportunities(ctx, needs=None):
    """Opportunities with rep, team, account and lead attributes, amounts in the workspace currency.

    ``cycle_days``: calendar days from the lead's creation (else the opportunity's) to the close.
    ``has_content``: at least one content_share activity is linked to it.
    """
    j, cols = _owner_and_account(ctx, ctx.t("opportunities"), needs, [
        "opportunity_id", "lead_id", "account_id", "created_at", "closed_at", "proposal_sent_at",
        "expected_close_date", "forecast_category", "status", "stage", "pipeline", "kind",
        "amount", "cost", "currency", "lost_reason"])
    lead = has_content = None
    if _wants(needs, "campaign", "source", "cycle_days"):
        ld = ctx.t("leads")
        lead = ld.select(l_key=ld.lead_id, l_created=ld.created_at, l_campaign=ld.campaign_id, l_source=ld.source)
        j = j.left_join(lead, j.lead_id == lead.l_key)
    if _wants(needs, "has_content"):
        acts = ctx.t("activities")
        has_content = acts.filter(acts.type == "content_share", acts.opportunity_id.notnull()) \
            .select(c_opp=acts.opportunity_id).distinct()
        j = j.left_join(has_content, j.opportunity_id == has_content.c_opp)
    named = {"rep": j.owner_rep_id, "product": j.product_id}
    if lead is not None:
        named.update(campaign=j.l_campaign, source=ibis.coalesce(j.source, j.l_source),
                     cycle_days=j.closed_at.date().delta(ibis.coalesce(j.l_created, j.created_at).date(),
                                                         unit="day"))
    if has_content is not None:
        named.update(has_content=j.c_opp.notnull())
    if not _wants(needs, *MONEY):  # a column left out is absent, never present with another meaning
        return j.select(*[c for c in cols if c not in MONEY], **named)
    t = j.select(*cols, **named)
    t = _convert(ctx, t, ("amount", "cost"), ibis.coalesce(t.closed_at.date(), FAR_FUTURE))
    return t.mutate(margin=t.amount - t.cost)


def _reached(ctx):
    """Per opportunity, the highest stage position it reached (history or current stage)."""
    o, st, sc = ctx.t("opportunities"), ctx.t("stages"), ctx.t("stage_changes")
    pos = st.select(s_pipeline=st.pipeline, s_stage=st.stage, s_pos=st.position)
    cur = o.left_join(pos, [o.pipeline == pos.s_pipeline, o.stage == pos.s_stage]) \
        .select(opp=o.opportunity_id, p=_.s_pos)
    hist = sc.join(o, sc.opportunity_id == o.opportunity_id) \
        .select(opp=sc.opportunity_id, pipeline=o.pipeline, stage=sc.stage)
    hist = hist.join(pos, [hist.pipeline == pos.s_pipeline, hist.stage == pos.s_stage]) \
        .select(opp=_.opp, p=_.s_pos)
    return cur.union(hist).group_by("opp").aggregate(reached=_.p.max())


@fact("stage_trials", OPP_DIMS, ["opportunities", "stages"], prunable=True, team_from_rep=True,
      show=("opportunity_id", "pipeline", "stage", "reached", "advanced", "status"))
def stage_trials(ctx, needs=None):
    """One row per opportunity and stage it reached (but its pipeline's last): did it reach the next?"""
    opp = ctx.fact("opportunities", _plus(needs, "opportunity_id", "pipeline")).drop("stage")
    st = ctx.t("stages")
    last = st.group_by(l_pipeline=st.pipeline).aggregate(last_pos=st.position.max())
    steps = st.join(last, st.pipeline == last.l_pipeline).filter(_.position < _.last_pos) \
        .select(t_pipeline=_.pipeline, stage=_.stage, t_pos=_.position)
    reached = _reached(ctx)
    j = opp.join(reached, opp.opportunity_id == reached.opp).join(steps, opp.pipeline == steps.t_pipeline)
    j = j.filter(j.t_pos <= j.reached)
    return j.mutate(advanced=j.reached >= j.t_pos + 1).drop("opp", "t_pipeline")


@fact("stage_probabilities", ("pipeline", "stage"), ["opportunities", "stages"], materialize=True)
def stage_probabilities(ctx):
    """Win probability per stage: of the closed opportunities that reached it, the share won.

    One grouped pass, not one row per opportunity and stage: closed opportunities are counted
    per (pipeline, highest position reached r), then for each stage s (but the last)
    P(won | reached s) = Σ_{r ≥ pos(s)} won_r / Σ_{r ≥ pos(s)} closed_r, the same counts as
    ``stage_trials`` filtered on closed deals.
    """
    o, st = ctx.t("opportunities"), ctx.t("stages")
    reached = _reached(ctx)
    closed_o = o.filter(o.status != "open").select(h_opp=o.opportunity_id, h_pipeline=o.pipeline,
                                                  h_won=ibis.cases((o.status == "won", 1), else_=0))
    hist = closed_o.join(reached, closed_o.h_opp == reached.opp).group_by(["h_pipeline", "reached"]) \
        .aggregate(h_won_n=_.h_won.sum(), h_n=_.count())
    last = st.group_by(l_pipeline=st.pipeline).aggregate(last_pos=st.position.max())
    steps = st.join(last, st.pipeline == last.l_pipeline).filter(_.position < _.last_pos) \
        .select(t_pipeline=_.pipeline, t_stage=_.stage, t_pos=_.position)
    closed = steps.join(hist, [steps.t_pipeline == hist.h_pipeline, hist.reached >= steps.t_pos]) \
        .group_by(pipeline=_.t_pipeline, stage=_.t_stage).aggregate(won=_.h_won_n.sum(), closed=_.h_n.sum())
    # the last stage of a pipeline has no trial: its learned probability is its won share
    at_last = o.filter(o.status != "open").group_by(["pipeline", "stage"]).aggregate(
        won2=(_.status == "won").sum(), closed2=_.count())
    j = st.left_join(closed, [st.pipeline == closed.pipeline, st.stage == closed.stage]) \
        .left_join(at_last, [st.pipeline == at_last.pipeline, st.stage == at_last.stage])
    won = ibis.coalesce(j.won, j.won2).cast("float64")
    n = ibis.coalesce(j.closed, j.closed2).cast("float64")
    learned = ibis.cases((n > 0, won / n), else_=ibis.null("float64"))
    return j.select(pipeline=j.pipeline, stage=j.stage,
                    probability=ibis.coalesce(learned, j.default_probability))


@fact("campaigns", ("campaign", "source"), ["campaigns"],
      show=("campaign", "source", "started_on", "cost", "leads_n", "won_revenue"))
def campaigns(ctx):
    """Campaigns with the leads attributed to them and the revenue of those leads' won deals."""
    c = ctx.t("campaigns")
    ld = ctx.t("leads")
    n = ld.filter(ld.campaign_id.notnull()).group_by(n_campaign=ld.campaign_id).aggregate(leads_n=_.count())
    opp = ctx.fact("opportunities")
    won = opp.filter(opp.status == "won", opp.campaign.notnull()) \
        .group_by(w_campaign=opp.campaign).aggregate(won_revenue=opp.amount.sum())
    j = c.left_join(n, c.campaign_id == n.n_campaign).left_join(won, c.campaign_id == won.w_campaign)
    cost = j.cost.cast("float64")
    return j.select(
        campaign=j.campaign_id, source=j.channel, started_on=_ts(j.started_on), cost=cost,
        leads_n=ibis.coalesce(j.leads_n, 0), won_revenue=ibis.coalesce(j.won_revenue, 0.0),
        roi_gain=ibis.coalesce(j.won_revenue, 0.0) - cost,
    )


@fact("rep_presence", REP_DIMS, ["reps"],
      show=("rep", "team", "at"))
def rep_presence(ctx):
    """(rep, date) for each opportunity created or closed and each activity: who was at work when."""
    o = ctx.t("opportunities")
    a = ctx.t("activities")
    rows = (o.select(rep=o.owner_rep_id, at=_ts(o.created_at))
            .union(o.filter(o.closed_at.notnull()).select(rep=o.owner_rep_id, at=_ts(o.closed_at)))
            .union(a.select(rep=a.rep_id, at=_ts(a.occurred_at))))
    rt = _rep_team(ctx)
    j = rows.left_join(rt, rows.rep == rt.rep_key)
    return j.select("rep", "at", "team")


@fact("customers_first", ACCOUNT_DIMS, [("opportunities", "contracts")],
      show=("account", "first_at", "segment"))
def customers_first(ctx):
    """Each customer account and the date it became one: first won deal or first contract."""
    o, k = ctx.t("opportunities"), ctx.t("contracts")
    firsts = (o.filter(o.status == "won", o.account_id.notnull()).select(account=o.account_id, at=_ts(o.closed_at))
              .union(k.select(account=k.account_id, at=_ts(k.start_date))))
    first = firsts.group_by("account").aggregate(first_at=_.at.min())
    ad = _account_dims(ctx)
    j = first.left_join(ad, first.account == ad.account_key)
    return j.select("account", "first_at", "segment", "region", "industry")


@fact("orders", ACCOUNT_DIMS, [("orders", "opportunities")],
      show=("order_id", "account", "ordered_at", "amount", "currency"))
def orders(ctx):
    """Orders in the workspace currency; won opportunities serve as orders when ``orders`` is empty."""
    if ctx.has_rows("orders"):
        od = ctx.t("orders")
        t = od.select(order_id=od.order_id, account=od.account_id, ordered_at=od.ordered_at,
                      amount=od.amount, currency=od.currency)
    else:
        o = ctx.t("opportunities")
        t = o.filter(o.status == "won", o.account_id.notnull()).select(
            order_id=o.opportunity_id, account=o.account_id, ordered_at=o.closed_at,
            amount=o.amount, currency=o.currency)
    t = _convert(ctx, t, ("amount",), t.ordered_at.date())
    ad = _account_dims(ctx)
    j = t.left_join(ad, t.account == ad.account_key)
    return j.drop("account_key")


@fact("surveys", ACCOUNT_DIMS, ["surveys"],
      show=("survey_id", "account", "answered_at", "nps_score", "net"))
def surveys(ctx):
    """NPS answers: promoters (9-10) count +1, detractors (0-6) −1."""
    s = ctx.t("surveys")
    ad = _account_dims(ctx)
    j = s.left_join(ad, s.account_id == ad.account_key)
    net = ibis.cases((j.nps_score >= 9, 1), (j.nps_score <= 6, -1), else_=0)
    return j.select("survey_id", "answered_at", "nps_score", "segment", "region", "industry",
                    account=j.account_id, net=net)


@fact("referrals", ACCOUNT_DIMS, ["referrals"],
      show=("referral_id", "account", "referred_at", "lead_id"))
def referrals(ctx):
    r = ctx.t("referrals")
    ad = _account_dims(ctx)
    j = r.left_join(ad, r.account_id == ad.account_key)
    return j.select("referral_id", "referred_at", "lead_id", "segment", "region", "industry",
                    account=j.account_id)


@fact("lifespans", ACCOUNT_DIMS, [("contracts", "orders", "opportunities")],
      show=("account", "ended_at", "years", "segment"))
def lifespans(ctx):
    """Ended customer relationships: contract customers who left (all contracts ended), else
    customers with two orders or more; ``ended_at`` is the last contract end (last order)."""
    if ctx.has_rows("contracts"):
        k = ctx.t("contracts")
        g = k.group_by(account=k.account_id).aggregate(
            first=k.start_date.min(), last=k.end_date.max(), open_n=k.end_date.isnull().sum())
        g = g.filter(g.open_n == 0)
        first, last = g.first, g.last
    else:
        od = ctx.fact("orders")
        g = od.group_by("account").aggregate(first=od.ordered_at.min().date(),
                                             last=od.ordered_at.max().date(), n=_.count())
        g = g.filter(g.n >= 2)
        first, last = g.first, g.last
    g = g.select(account=g.account, ended_at=_ts(last),
                 years=last.delta(first, unit="day").cast("float64") / 365)
    ad = _account_dims(ctx)
    j = g.left_join(ad, g.account == ad.account_key)
    return j.drop("account_key")


@fact("quotas", REP_DIMS, ["quotas"], materialize=True,
      show=("quota_id", "rep", "metric", "period_start", "target", "achieved", "remaining"))
def quotas(ctx):
    """Rep quotas with the value their metric reached over the quota's own period.

    Attainments of different metrics do not add up (euros and deal counts): the
    quotas on the main metric are used, revenue when there are revenue quotas.
    """
    q = ctx.t("quotas")
    q = q.filter(q.rep_id.notnull())
    metrics = set(q.select("metric").distinct().execute()["metric"])
    if metrics:
        main = next((m for m in QUOTA_METRICS if m in metrics), sorted(metrics)[0])
        if len(metrics) > 1:
            ctx.warnings.append(f"quotas on {', '.join(sorted(metrics - {main}))} are left out: "
                                f"quota attainment is measured on the {main} quotas")
        q = q.filter(q.metric == main)
    achieved = ctx.achieved(q)  # quota_id, achieved: computed by the engine from the metric's KPI
    rt = _rep_team(ctx)
    j = q.left_join(achieved, q.quota_id == achieved.a_quota).left_join(rt, q.rep_id == rt.rep_key)
    t = j.select("quota_id", "metric", "team", rep=j.rep_id, period_start=_ts(j.period_start),
                 target=j.target.cast("float64"), achieved=ibis.coalesce(j.achieved, 0.0))
    return t.mutate(remaining=t.target - t.achieved)  # what is left of the target (negative: beaten)


# --------------------------------------------------------------------------- periodic facts
@fact("open_at_end", OPP_DIMS, ["opportunities"], periodic=True, prunable=True,
      show=("opportunity_id", "rep", "created_at", "stage", "amount", "probability", "weighted"))
def open_at_end(ctx, needs=None):
    """Opportunities open at the end of each period (created before it, not closed before it)."""
    o = ctx.fact("opportunities", _plus(needs, "created_at", "status", "closed_at", "pipeline", "stage", "amount"))
    p = ctx.periods
    j = o.join(p, [o.created_at < p.p_end, (o.status == "open") | (o.closed_at >= p.p_end)])
    if ctx.has_rows("stages"):
        prob = ctx.fact("stage_probabilities")
        prob = prob.select(pr_pipeline=prob.pipeline, pr_stage=prob.stage, probability=prob.probability)
        j = j.left_join(prob, [j.pipeline == prob.pr_pipeline, j.stage == prob.pr_stage]) \
            .drop("pr_pipeline", "pr_stage")
    else:
        j = j.mutate(probability=ibis.null("float64"))
    return j.mutate(weighted=j.amount * j.probability, unweighted=j.probability.isnull())


def _active_accounts(ctx, at: str) -> ibis.Table:
    """(period, account) for the accounts active at each period's ``p_start`` or ``p_end``."""
    p = ctx.periods
    if ctx.has_rows("contracts"):
        k = ctx.t("contracts")
        j = k.join(p, [_ts(k.start_date) < p[at], k.end_date.isnull() | (_ts(k.end_date) >= p[at])])
        return j.select("period", account=j.account_id).distinct()
    od = ctx.fact("orders")
    j = od.join(p, [od.ordered_at < p[at], od.ordered_at >= p[at] - ibis.interval(months=12)])
    return j.select("period", "account").distinct()


def _active_at(ctx, p: ibis.Table) -> ibis.Table:
    """(period, account) for the accounts active at each period's ``at`` (a column of ``p``): a running
    contract, or without contracts an order in the 12 months before (as :func:`_active_accounts`)."""
    if ctx.has_rows("contracts"):
        k = ctx.t("contracts")
        j = k.join(p, [_ts(k.start_date) < p.at, k.end_date.isnull() | (_ts(k.end_date) >= p.at)])
        return j.select("period", account=j.account_id).distinct()
    od = ctx.fact("orders")
    j = od.join(p, [od.ordered_at < p.at, od.ordered_at >= p.at - ibis.interval(months=12)])
    return j.select("period", "account").distinct()


@fact("orders_trailing", ACCOUNT_DIMS, [("orders", "opportunities")], periodic=True,
      show=("order_id", "account", "ordered_at", "amount", "per_year"))
def orders_trailing(ctx):
    """Per period, the orders of the trailing window ending at the period's end (setting
    ``clv_window_months``, 12 by default); ``per_year`` = 12 / window months, so that Σ per_year is the
    window's orders per year whatever the grain."""
    od = ctx.fact("orders")
    p = ctx.periods
    months = int(getattr(ctx.settings, "clv_window_months", 12))
    j = od.join(p, [od.ordered_at < p.p_end, od.ordered_at >= p.p_end - ibis.interval(months=months)])
    return j.mutate(per_year=ibis.literal(12.0 / months))


@fact("retention_year", ACCOUNT_DIMS, [("contracts", "orders", "opportunities")], periodic=True,
      show=("account", "churned", "segment"))
def retention_year(ctx):
    """Customers active a year before each period's end, ``churned`` when no longer active at its end:
    the year's churn, whatever the grain (a customer lifespan of 1 / annual churn)."""
    p = ctx.periods
    base = _active_at(ctx, p.mutate(at=p.p_end - ibis.interval(months=12)))
    kept = _active_at(ctx, p.mutate(at=p.p_end))
    kept = kept.select(k_period=kept.period, k_account=kept.account, kept=ibis.literal(1))
    j = base.left_join(kept, [base.period == kept.k_period, base.account == kept.k_account])
    j = j.select("period", "account", churned=j.kept.isnull())
    ad = _account_dims(ctx)
    j = j.left_join(ad, j.account == ad.account_key)
    return j.select("period", "account", "churned", "segment", "region", "industry")


@fact("active_at_end", ACCOUNT_DIMS, [("contracts", "orders", "opportunities")], periodic=True,
      show=("account", "segment", "region"))
def active_at_end(ctx):
    """Customer accounts active at the end of each period."""
    act = _active_accounts(ctx, "p_end")
    ad = _account_dims(ctx)
    j = act.left_join(ad, act.account == ad.account_key)
    return j.drop("account_key")


@fact("churn_base", ACCOUNT_DIMS, ["contracts"], periodic=True,
      show=("account", "churned", "segment"))
def churn_base(ctx):
    """Accounts active at the start of each period, flagged when their last contract ends in it."""
    act = _active_accounts(ctx, "p_start")
    k = ctx.t("contracts")
    last = k.group_by(l_account=k.account_id).aggregate(
        last_end=_ts(k.end_date.max()), open_n=k.end_date.isnull().sum())
    p = ctx.periods.select(pp=_.period, pp_start=_.p_start, pp_end=_.p_end)
    j = act.join(p, act.period == p.pp).join(last, act.account == last.l_account)
    churned = (j.open_n == 0) & (j.last_end >= j.pp_start) & (j.last_end < j.pp_end)
    ad = _account_dims(ctx)
    j = j.mutate(churned=churned).left_join(ad, _.account == ad.account_key)
    return j.select("period", "account", "churned", "segment", "region", "industry")


@fact("compensation", REP_DIMS, ["reps"], periodic=True,
      show=("rep", "team", "comp"))
def compensation(ctx):
    """Each rep's compensation for each period: annual × days employed in it / 365."""
    r = ctx.t("reps")
    p = ctx.periods
    j = r.filter(r.annual_compensation.notnull()).cross_join(p)
    start = ibis.greatest(j.p_start, ibis.coalesce(_ts(j.hired_on), j.p_start))
    end = ibis.least(j.p_end, ibis.coalesce(_ts(j.left_on), j.p_end))
    days = end.date().delta(start.date(), unit="day")
    days = ibis.cases((days > 0, days), else_=0)
    return j.select("period", rep=j.rep_id, team=j.team_id,
                    comp=j.annual_compensation.cast("float64") * days.cast("float64") / 365)


@fact("prices", ("product",), ["products", "competitor_prices"], periodic=True,
      show=("product", "list_price", "mean_comp", "gap"))
def prices(ctx):
    """Per period and product: our list price, the mean and the lowest of the competitors' latest prices."""
    cp = ctx.t("competitor_prices")
    p = ctx.periods
    j = cp.join(p, [_ts(cp.observed_on) >= p.p_start, _ts(cp.observed_on) < p.p_end])
    latest = j.group_by(["period", "product_id", "competitor"]).aggregate(last_on=j.observed_on.max())
    lp = latest.join(cp, [latest.product_id == cp.product_id, latest.competitor == cp.competitor,
                          latest.last_on == cp.observed_on])
    per = lp.group_by(["period", "product_id"]).aggregate(
        mean_comp=lp.price.cast("float64").mean(), min_comp=lp.price.cast("float64").min())
    pr = ctx.t("products")
    k = per.join(pr, per.product_id == pr.product_id)
    lst = k.list_price.cast("float64")
    return k.select("period", "mean_comp", product=k.product_id, list_price=lst, gap=lst - k.min_comp)
