import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from campaign.models import Participation


class ParticipationTable(tables.Table):
    unit = tables.Column(verbose_name=_("Unit"), linkify=lambda record: record.unit.get_absolute_url(), order_by=("unit_id", "batch_id"))
    kind = tables.Column(verbose_name=_("Kind"), accessor="unit__kind", orderable=False)
    batch = tables.Column(verbose_name=_("Batch"), accessor="batch__name", orderable=False)
    members_expected = tables.Column(verbose_name=_("Members expected"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    members_participated = tables.Column(verbose_name=_("Took part"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    participation_rate = tables.Column(verbose_name=_("Rate %"), orderable=False, attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    makeup_members = tables.Column(verbose_name=_("Make-up classes"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    members_transformed = tables.Column(verbose_name=_("Transformed"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    members_handled = tables.Column(verbose_name=_("Handled"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    checks_done = tables.Column(verbose_name=_("Five checks done"), orderable=False, attrs={"td": {"class": "num"}, "th": {"class": "num"}})

    class Meta:
        model = Participation
        fields = [
            "unit",
            "kind",
            "batch",
            "members_expected",
            "members_participated",
            "participation_rate",
            "makeup_members",
            "members_transformed",
            "members_handled",
            "checks_done",
        ]
        order_by = ("unit",)
        orderable = False

    def render_kind(self, record):
        return record.unit.get_kind_display()

    def value_kind(self, record):
        return record.unit.get_kind_display()

    def render_checks_done(self, value):
        return f"{value} / 5"
