"""Reading the reports' PDFs in tests: text per page (pypdf), a page as an image (pdftoppm),
the fonts embedded and whether they cover every character printed."""

import io
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader

FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def pages(pdf):
    """The text of each page."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def text(pdf):
    """All the text, lines joined (a sentence broken over lines reads whole)."""
    return "".join("".join(page.split("\n")) for page in pages(pdf))


def fonts(pdf):
    """The base names of the fonts embedded."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


@lru_cache
def covered():
    """Every character the Noto CJK SC fonts draw."""
    from fontTools.ttLib import TTCollection

    chars = set()
    for path in FONT_FILES:
        for font in TTCollection(path).fonts:
            if "SC" in font["name"].getDebugName(1):
                chars |= {chr(code) for code in font.getBestCmap()}
    return chars


def uncovered(pdf):
    """Characters printed that the fonts do not draw (missing glyphs)."""
    return {c for c in text(pdf) if not c.isspace()} - covered()


def first_page_ink(pdf):
    """The share of non-white pixels of page 1 rendered by pdftoppm (0: a blank page)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "report.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(source), str(Path(folder) / "p")], check=True)
        image = Image.open(next(Path(folder).glob("p*.png"))).convert("L")
        pixels = image.tobytes()
    return sum(1 for p in pixels if p < 200) / len(pixels)
