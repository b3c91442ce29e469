"""Workspace settings that change the numbers (data contract, last section).

They live in the database (table ``workspace_settings``), so every process
reading one database agrees on them.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

# What a sales director reads first (issue #9). Ten at most (MAX_FOCUS). Quota attainment (with a bar per
# team on the overview) took the place of the share of reps at quota (on the team page); customer lifetime
# value and pipeline coverage took those of revenue growth (the revenue card already shows its change vs
# the previous period and last year) and of the weighted pipeline (on the pipeline page; coverage says
# whether that pipeline is enough for what is left of the target). A workspace picks its own ten:
# `pilotage settings --set focus=...` or the admin page.
MAX_FOCUS = 10
DEFAULT_FOCUS = (
    "revenue", "deals_won", "avg_deal_size", "win_rate", "lead_conversion_rate", "sales_cycle_days",
    "quota_attainment", "pipeline_coverage", "churn_rate", "clv",
)


class Settings(BaseModel):
    model_config = {"extra": "forbid"}

    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    locale: Literal["fr_FR", "en_US", "en_GB"] = "fr_FR"
    fiscal_year_start: int = Field(1, ge=1, le=12, description="month the fiscal year starts")
    week_start: Literal["monday", "sunday"] = "monday"
    timezone: str = "Europe/Paris"
    focus: tuple[str, ...] = DEFAULT_FOCUS
    clv_window_months: int = Field(12, ge=1, le=60, description="trailing window of the purchase frequency "
                                   "(historical CLV), in months, ending at each period's end")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("focus", mode="before")
    @classmethod
    def _split(cls, v):
        return tuple(x.strip() for x in v.split(",") if x.strip()) if isinstance(v, str) else v

    @field_validator("focus")
    @classmethod
    def _known_kpis(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from pilotage.catalogue.kpis import BY_ID

        unknown = [k for k in v if k not in BY_ID]
        if unknown:
            raise ValueError(f"unknown KPI id(s) in focus: {', '.join(unknown)} (see `pilotage kpis`)")
        if not v:
            raise ValueError("focus needs at least one KPI id")
        if len(v) > MAX_FOCUS:
            raise ValueError(f"at most {MAX_FOCUS} KPIs ({len(v)} given)")
        return v

    def to_rows(self) -> list[tuple[str, str]]:
        return [(k, ",".join(v) if isinstance(v, tuple) else str(v)) for k, v in self.model_dump().items()]

    @classmethod
    def from_rows(cls, rows) -> Settings:
        values = {k: v for k, v in rows}
        if isinstance(values.get("focus"), str):  # stored before the limit of ten: the first ten stand
            values["focus"] = ",".join([x for x in values["focus"].split(",") if x.strip()][:MAX_FOCUS])
        return cls(**values)
