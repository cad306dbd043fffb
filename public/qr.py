"""QR codes of survey links, drawn by the app (segno: pure Python, SVG and PNG, no network)."""

import io

import segno


def qr_svg(url, scale=6):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue()


def qr_png(url, scale=8):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def qr_data_uri(url, scale=4):
    """An SVG data URI, for pages printed many to a sheet (the slips) and for PDFs."""
    return segno.make(url, error="m").svg_data_uri(scale=scale, border=2)
