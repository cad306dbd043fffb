"""E-mail backends for the delivery tests: each fails the first time it is
asked to send a given message (same recipients and subject), like an SMTP
server that drops the connection once, and sends it on the next try."""

import hashlib
import os
import smtplib
from pathlib import Path

from django.core.mail.backends import filebased, locmem


def message_key(message):
    text = "\n".join([*sorted(message.to), message.subject])
    return hashlib.sha256(text.encode()).hexdigest()


class FailFirstMixin:
    def send_messages(self, messages):
        for message in messages:
            if self.first_try(message_key(message)):
                raise smtplib.SMTPServerDisconnected("test: the server closed the connection on the first try")
        return super().send_messages(messages)


class FailFirstLocmemBackend(FailFirstMixin, locmem.EmailBackend):
    """In-process: remembers the messages it failed once in ``failed`` (reset it per test)."""

    failed = set()

    def first_try(self, key):
        if key in self.failed:
            return False
        self.failed.add(key)
        return True


class FailFirstFileBackend(FailFirstMixin, filebased.EmailBackend):
    """Across worker processes: a marker file per message failed once, created
    atomically (O_EXCL), next to the mail folder (``EMAIL_FILE_PATH``)."""

    def first_try(self, key):
        folder = Path(self.file_path).parent / "failed-once"
        folder.mkdir(exist_ok=True)
        try:
            os.close(os.open(folder / key, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True
