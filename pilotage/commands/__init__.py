"""CLI command groups, one module each (typer sub-apps registered in :mod:`pilotage.cli`).
Heavy libraries are imported inside the functions so `pilotage --help` stays fast."""
