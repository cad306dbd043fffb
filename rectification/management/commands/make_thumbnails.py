"""Make the thumbnails of evidence photos uploaded before thumbnails were made on upload."""

from django.core.management.base import BaseCommand

from rectification import uploads


class Command(BaseCommand):
    help = "Make the missing thumbnails of evidence photos (those uploaded before issue 9); a second run makes none."

    def handle(self, *args, **options):
        made, skipped = uploads.make_missing_thumbnails()
        self.stdout.write(f"{made} thumbnails made, {skipped} photos without one (unreadable or too large)")
