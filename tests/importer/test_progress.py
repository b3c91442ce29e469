"""The import reports its progress on one bar that only moves forward: reading, mapping, checking, writing."""

from __future__ import annotations

import shutil

from tests.importer.conftest import EXPORTS, imp


def _steps(ws, path, **kw) -> list[tuple[str, int, int]]:
    seen: list[tuple[str, int, int]] = []
    imp(ws, path, progress=lambda step, done, total: seen.append((step, done, total)), **kw)
    return seen


def _check_forward(seen: list[tuple[str, int, int]]) -> None:
    done = [d for _, d, _ in seen]
    assert done == sorted(done), f"the bar went back: {seen}"
    assert {t for _, _, t in seen} == {1000}
    assert seen[-1][1] == 1000 and seen[-1][0] == "done"


def test_crm_folder_progress_moves_forward_through_every_phase(mem, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("hubspot-companies-en.csv", "pipedrive-deals.csv"):
        shutil.copy(EXPORTS / name, folder / name)
    seen = _steps(mem, folder)
    _check_forward(seen)
    phases = [step.split()[0] for step, _, _ in seen]
    # each phase in order, none after the next has begun
    order = ["reading", "mapping", "checking", "writing", "done"]
    firsts = [phases.index(p) for p in order]
    assert firsts == sorted(firsts)
    assert max(i for i, p in enumerate(phases) if p == "reading") < firsts[1]
    # the reading share is split by file size: the first file starts at 0, the second further on
    reads = [(s, d) for s, d, _ in seen if s.startswith("reading")]
    assert reads[0][1] == 0 and 0 < reads[1][1] <= 150


def test_canonical_folder_progress(mem, tmp_path):
    folder = tmp_path / "canon"
    folder.mkdir()
    (folder / "reps.csv").write_text("rep_id,name\nr1,Alice\nr2,Bob\n")
    (folder / "leads.csv").write_text("lead_id,created_at,source\nl1,2024-01-01,website\n")
    (folder / "opportunities.csv").write_text(
        "opportunity_id,owner_rep_id,created_at,stage,status,amount,closed_at\n"
        "o1,r1,2024-01-02,Won,won,100,2024-02-01\no2,r2,2024-01-03,New,open,50,\n")
    seen = _steps(mem, folder)
    _check_forward(seen)
    assert seen[0][0].startswith("reading") and any(s.startswith("writing opportunities") for s, _, _ in seen)
