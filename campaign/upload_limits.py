"""Limits on what one request may upload, enforced while Django reads the body.

:class:`RequestLimitsHandler` is the first of ``FILE_UPLOAD_HANDLERS``: it
counts the files and the bytes of a multipart request as they arrive and stops
reading (``StopUpload``) as soon as either is over its limit, so a huge or
crowded upload never reaches the disk. Django then discards the rest of the
body, and the request carries ``upload_refused``, a message for the user; the
view puts it on its form with :func:`refuse_if_stopped`, which makes the form
invalid, so nothing of the request is saved.

The limits (settings, from the environment):

- ``UPLOAD_MAX_FILES``: files in one request (one progress entry);
- ``UPLOAD_MAX_REQUEST_BYTES``: all files of one request together.

Per-task totals are checked where evidence is saved
(``rectification.services.add_progress``), under the task's row lock.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _


def too_many_files_message(limit):
    return _("At most %(count)s files can be attached at a time.") % {"count": limit}


def too_large_message(limit):
    return _("The files together are larger than %(limit)s; attach at most %(limit)s at a time.") % {
        "limit": filesizeformat(limit)
    }


class RequestLimitsHandler(FileUploadHandler):
    """Counts files and bytes; stops reading the request at the first limit crossed."""

    def __init__(self, request=None):
        super().__init__(request)
        self.files = 0
        self.received = 0

    def refuse(self, message):
        if self.request is not None:
            self.request.upload_refused = message
        raise StopUpload(connection_reset=False)  # Django reads and drops the rest: the browser gets the page

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.UPLOAD_MAX_REQUEST_BYTES + 1024 * 1024:  # the form's fields fit in 1 MiB
            if self.request is not None:
                self.request.upload_refused = too_large_message(settings.UPLOAD_MAX_REQUEST_BYTES)
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if getattr(self.request, "upload_refused", None):
            raise StopUpload(connection_reset=False)  # announced too large: read no file at all
        self.files += 1
        if self.files > settings.UPLOAD_MAX_FILES:
            self.refuse(too_many_files_message(settings.UPLOAD_MAX_FILES))

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_REQUEST_BYTES:
            self.refuse(too_large_message(settings.UPLOAD_MAX_REQUEST_BYTES))
        return raw_data  # on to the next handler, which stores it

    def file_complete(self, file_size):
        return None  # the next handler makes the file


def refuse_if_stopped(request, form, field):
    """If the upload of ``request`` was stopped, make ``form`` invalid with the
    reason as ``field``'s only error. What was read of the files is incomplete
    (and closed): the form is cleaned without any of them."""
    message = getattr(request, "upload_refused", None)
    if not message:
        return False
    form.files = MultiValueDict()
    errors = form.errors  # the other fields are still checked, so their errors show too
    errors[field] = form.error_class([message])
    form.cleaned_data.pop(field, None)
    return True
