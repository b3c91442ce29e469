"""The overview's focus KPIs (issue #9): the default ten hold CLV, pipeline coverage and quota
attainment; a workspace picks at most ten."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import pilotage
from pilotage.errors import PilotageError
from pilotage.settings import DEFAULT_FOCUS, MAX_FOCUS, Settings


def test_default_ten_hold_what_a_sales_director_asked_for():
    assert MAX_FOCUS == 10 and len(DEFAULT_FOCUS) == 10
    assert {"clv", "pipeline_coverage", "quota_attainment", "revenue"} <= set(DEFAULT_FOCUS)


def test_more_than_ten_is_refused_with_the_reason(tmp_path):
    eleven = ",".join(list(DEFAULT_FOCUS) + ["calls"])
    with pytest.raises(ValidationError, match="at most 10 KPIs"):
        Settings(focus=eleven)
    ws = pilotage.connect(str(tmp_path / "w.duckdb"), create=True)
    with pytest.raises(PilotageError, match="invalid setting: focus: at most 10 KPIs \\(11 given\\)"):
        ws.set_settings(focus=eleven)
    ws.set_settings(focus="calls,revenue")
    assert ws.settings.focus == ("calls", "revenue")
    ws.close()


def test_a_longer_focus_stored_before_the_limit_still_opens():
    twelve = ",".join(list(DEFAULT_FOCUS) + ["calls", "emails"])
    s = Settings.from_rows([("currency", "EUR"), ("focus", twelve)])
    assert s.focus == DEFAULT_FOCUS
