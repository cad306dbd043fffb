from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from campaign.models import Participation, Unit
from demo import city as campaign_demo
from demo import ledger as rectification_demo
from demo import public as public_demo
from demo import stories
from rectification.models import Problem, Task


class Command(BaseCommand):
    help = (
        "Load the demo city (乌海市), its campaign, its rectification ledger and the demo logins. "
        "Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-allowed",
            action="store_true",
            help="Where the demo may not load (DATABASE_URL set, DEMO not 1), say so and succeed instead of failing.",
        )

    def handle(self, *args, **options):
        if not settings.DEMO:
            message = (
                "The demo (with logins whose password is published) is loaded only in the embedded shape "
                "or with DEMO=1; this database was given by DATABASE_URL, so nothing was loaded. "
                "Create the first administrator with: python manage.py createsuperuser"
            )
            if options["if_allowed"]:
                self.stdout.write(message)
                return
            raise CommandError(message)
        try:  # every data file read and checked before anything is written
            stories.city()
            stories.ledger()
        except stories.DemoDataError as exc:
            raise CommandError(f"The demo data in demo/data/ cannot be loaded: {exc}") from exc
        result = campaign_demo.load_demo()
        ledger = rectification_demo.load_demo()
        public = public_demo.load_demo(result.campaign.name)
        units = Unit.objects.subtree(result.root).count()
        participations = Participation.objects.filter(batch__campaign=result.campaign).count()
        tasks = Task.objects.filter(batch__campaign=result.campaign)
        problems = Problem.objects.filter(batch__campaign=result.campaign).count()
        self.stdout.write(f"{result.campaign.name}: {units} units, {participations} participations.")
        self.stdout.write(
            f"Rectification ledger: {problems} problems, {tasks.count()} tasks "
            f"({tasks.open().count()} open, {tasks.overdue().count()} overdue)."
        )
        created = result.created + ledger.created + public
        if created:
            created = ", ".join(f"{count} {model}" for model, count in sorted(created.items()))
            self.stdout.write(self.style.SUCCESS(f"Created {created}."))
        else:
            self.stdout.write("Already loaded: nothing created.")
        self.stdout.write(f"Demo logins (password {settings.DEMO_PASSWORD!r} unless changed since):")
        city = stories.city()
        for user in city.users:
            groups = [group["name"] for group in city.supervision_groups if user.username in group["members"]]
            units = "、".join([unit for unit, _role in user.memberships] + groups)
            roles = {str(role.label) for _unit, role in user.memberships} | ({"督导组"} if groups else set())
            roles = "/".join(sorted(roles))
            self.stdout.write(f"  {user.username:<11} {user.last_name}{user.first_name}  {roles} · {units}")
