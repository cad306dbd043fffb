"""Forms of the rectification pages, one module per area (tasks, supervision, …)."""
