from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from campaign.background import register

        from .ledger import ledger_source

        register("ledger", ledger_source)
