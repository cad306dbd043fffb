"""Checks on evidence files: size, and type read from the content, not the name."""

from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Kind:
    extension: str
    mime: str


# What may be uploaded, by the type found in the content, and the file-name
# extensions that are honest for each.
ALLOWED = {
    "jpg": ({".jpg", ".jpeg"}, "image/jpeg"),
    "png": ({".png"}, "image/png"),
    "webp": ({".webp"}, "image/webp"),
    "pdf": ({".pdf"}, "application/pdf"),
    "docx": ({".docx"}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ({".xlsx"}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ({".pptx"}, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "doc": ({".doc"}, "application/msword"),
    "xls": ({".xls"}, "application/vnd.ms-excel"),
    "ppt": ({".ppt"}, "application/vnd.ms-powerpoint"),
}


def max_bytes():
    return getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def check_upload(upload):
    """Return the file's :class:`Kind`, or raise ValidationError saying what is wrong."""
    if upload.size > max_bytes():
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes())}
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    guess = filetype.guess(head)
    if guess is None or guess.extension not in ALLOWED:
        raise ValidationError(
            _("“%(name)s” is not an accepted file type. Upload photos (JPEG, PNG, WebP), PDF or office documents.")
            % {"name": upload.name}
        )
    extensions, mime = ALLOWED[guess.extension]
    suffix = PurePath(upload.name).suffix.lower()
    if suffix not in extensions:
        raise ValidationError(
            _("The content of “%(name)s” does not match its name: it is a %(kind)s file.")
            % {"name": upload.name, "kind": guess.extension.upper()}
        )
    return Kind(extension=suffix, mime=mime)


# --- thumbnails ------------------------------------------------------------------

THUMBNAIL_BOX = (480, 480)
# A photo's pixels are decoded to make its thumbnail: a small file may claim a huge
# image (a decompression bomb). Phones take 12 to 50 megapixels; above this, no thumbnail.
THUMBNAIL_MAX_PIXELS = 60_000_000


def make_thumbnail(evidence):
    """A JPEG of at most :data:`THUMBNAIL_BOX`, turned as the camera held it, for an
    evidence photo; None for other files or an image Pillow cannot read (the page
    then shows the file's icon). Never raises for a bad image."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps

    if not evidence.content_type.startswith("image/"):
        return None
    try:
        with evidence.file.open("rb") as handle:
            with Image.open(handle) as image:
                width, height = image.size
                if width * height > THUMBNAIL_MAX_PIXELS:
                    return None
                image.draft("RGB", THUMBNAIL_BOX)  # JPEG: decode at a reduced size
                image = ImageOps.exif_transpose(image)
                image.thumbnail(THUMBNAIL_BOX)
                if image.mode not in ("RGB", "L"):
                    background = Image.new("RGB", image.size, "white")
                    image = image.convert("RGBA")
                    background.paste(image, mask=image.getchannel("A"))
                    image = background
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=82, optimize=True)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None
    return ContentFile(buffer.getvalue(), name="thumbnail.jpg")


def make_missing_thumbnails(batch_size=200):
    """Thumbnails for evidence photos stored before thumbnails were made on upload
    (``manage.py make_thumbnails``); returns (made, skipped). Run again, it makes none."""
    from .models import Evidence

    made = skipped = 0
    last_pk = 0
    while True:
        rows = list(
            Evidence.objects.filter(pk__gt=last_pk, thumbnail="", content_type__startswith="image/").order_by("pk")[
                :batch_size
            ]
        )
        if not rows:
            return made, skipped
        last_pk = rows[-1].pk
        for evidence in rows:
            thumbnail = make_thumbnail(evidence)
            if thumbnail is None:
                skipped += 1
                continue
            evidence.thumbnail.save(thumbnail.name, thumbnail, save=False)
            Evidence.objects.filter(pk=evidence.pk, thumbnail="").update(thumbnail=evidence.thumbnail.name)
            made += 1
