"""The CLI's command groups, one module each, registered in :mod:`pilotage.cli`."""
