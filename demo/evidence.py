"""The demo's evidence files, made in code: small real PNG photos and one-page
PDF documents, named in demo/data/ledger.yaml and made when the ledger is loaded."""

import struct
import textwrap
import zlib
from typing import NamedTuple


class Photo(NamedTuple):
    """A small real PNG: a building in ``colour`` under a sky, standing in for a site photo."""

    name: str
    colour: tuple = (176, 58, 46)

    def content(self):
        return png_bytes(self.colour)


class Document(NamedTuple):
    """A one-page PDF with a title and lines of Chinese text."""

    name: str
    title: str
    lines: tuple = ()

    def content(self):
        return pdf_bytes(self.title, self.lines)


def png_bytes(colour, width=96, height=64):
    sky, ground, window = (196, 222, 240), (214, 196, 160), (250, 240, 190)
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            pixel = sky if y < height * 2 // 3 else ground
            if 24 <= x < 72 and 20 <= y < 52:  # the building
                pixel = window if (x - 28) % 10 < 5 and (y - 24) % 9 < 4 and y < 48 else colour
            row += bytes(pixel)
        rows.append(b"\x00" + bytes(row))  # filter type 0 per row

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    pixels = zlib.compress(b"".join(rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def pdf_bytes(title, lines):
    """A valid one-page A4 PDF; Chinese text in the standard STSong-Light CJK font (not embedded)."""

    def text(value):
        return "<" + value.encode("utf-16-be").hex().upper() + ">"

    ops = ["BT", "/F1 16 Tf", f"1 0 0 1 56 770 Tm {text(title)} Tj", "/F1 11 Tf"]
    y = 736
    for line in lines:
        for part in textwrap.wrap(line, 40) or [""]:
            ops.append(f"1 0 0 1 56 {y} Tm {text(part)} Tj")
            y -= 20
    ops.append("ET")
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
