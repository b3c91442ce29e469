"""The CLI's fixed cost: `pilotage --help` must not load the data libraries (pandas, Ibis,
DuckDB, FastAPI...), which cost about 1 s of every command's start. What is imported is
checked in a fresh interpreter, not a timing."""

import subprocess
import sys

HEAVY = ("pandas", "numpy", "ibis", "duckdb", "pyarrow", "fastapi", "psycopg", "plotly",
         "scipy", "sklearn", "statsmodels", "pyspark")

PROBE = """
import sys
from typer.testing import CliRunner
import pilotage.cli
r = CliRunner().invoke(pilotage.cli.app, {args!r})
assert r.exit_code == 0, r.output
print(" ".join(m for m in {heavy!r} if m in sys.modules))
"""


def _loaded(args: list[str]) -> list[str]:
    p = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                       capture_output=True, text=True, check=True)
    return p.stdout.split()


def test_help_imports_no_data_library():
    assert _loaded(["--help"]) == []


def test_command_help_imports_no_data_library():
    assert _loaded(["kpi", "--help"]) == []
    assert _loaded(["import", "--help"]) == []


def test_import_pilotage_alone_is_light_and_connect_still_works():
    p = subprocess.run([sys.executable, "-c",
                        "import sys, pilotage; light = 'pandas' not in sys.modules; "
                        "ws = pilotage.connect(':memory:'); print(light, type(ws).__name__)"],
                       capture_output=True, text=True, check=True)
    assert p.stdout.split() == ["True", "Workspace"]
