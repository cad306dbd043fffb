from django.core.management.base import BaseCommand, CommandError

from campaign import backups


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into an EMPTY database and storage, then check every row count "
        "and file checksum against its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .tar.gz written by `manage.py backup`.")

    def handle(self, *args, **options):
        try:
            manifest = backups.restore(options["file"], log=self.stdout.write)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(f"Restored {rows} rows in {len(manifest['tables'])} tables and {len(manifest['files'])} files.")
        )
