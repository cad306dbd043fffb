"""Forms of the rectification pages, by area (tasks, supervision, ledger, coordination)."""
