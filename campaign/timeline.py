"""Placing batches and phases on one time axis for the campaign page."""

from dataclasses import dataclass


@dataclass
class Bar:
    phase: object
    left: float
    width: float
    current: bool


def timeline(batches, today):
    """Rows of bars, one row per batch, positioned in percent of the whole span.

    ``batches`` must have their phases prefetched. Returns (rows, start, end,
    today_left) where today_left is None when today lies outside the span.
    """
    dates = [d for b in batches for d in (b.start_date, b.end_date)]
    dates += [d for b in batches for p in b.phases.all() for d in (p.start_date, p.end_date)]
    if not dates:
        return [], None, None, None
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)

    def percent(day):
        return round(100 * (day - start).days / span, 2)

    rows = []
    for batch in batches:
        bars = [
            Bar(
                phase=phase,
                left=percent(phase.start_date),
                width=max(percent(phase.end_date) - percent(phase.start_date), 1.5),
                current=phase.is_current(today),
            )
            for phase in batch.phases.all()
        ]
        rows.append((batch, bars))
    today_left = percent(today) if start <= today <= end else None
    return rows, start, end, today_left
