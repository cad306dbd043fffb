"""Values that a spreadsheet program must read as text, never run as a formula (see campaign.exports)."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A text value that a spreadsheet would take for a formula, with a leading
    apostrophe (shown as text, the apostrophe hidden); anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
