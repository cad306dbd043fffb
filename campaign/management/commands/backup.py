from django.core.management.base import BaseCommand, CommandError

from campaign import backups


class Command(BaseCommand):
    help = (
        "Write one archive with the database (pg_dump, or SQLite's online backup) and every stored file "
        "(evidence, reports), with a manifest of row counts and checksums. Default: var/backups/campaign-DATE.tar.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="Where to write the archive (.tar.gz).")

    def handle(self, *args, **options):
        try:
            path, manifest = backups.backup(options["output"], log=self.stdout.write)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written: {path}"))
