from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo city of the speech (乌海市): story data and its loader.

    Above every other app: it may import campaign, rectification and reports,
    and nothing imports it (the layer contract in .importlinter says so).
    """

    name = "demo"
    verbose_name = _("Demo city")
