import django_tables2 as tables
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign.models import Participation
from campaign.people import person_name


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
    checks_done = tables.Column(
        verbose_name=_("Five checks done"), orderable=False, empty_values=(), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )

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
        """Done of five where the batch runs the five checks (五查五看); not applicable elsewhere."""
        return _("Not applicable") if value is None else f"{value} / 5"

    value_checks_done = render_checks_done


class PersonTable(tables.Table):
    """Accounts with their units and roles (memberships prefetched by the view)."""

    name = tables.Column(
        verbose_name=pgettext_lazy("person", "Name"), empty_values=(), order_by=("last_name", "first_name"),
        linkify=lambda record: reverse("campaign:person_detail", args=[record.pk]),
    )
    username = tables.Column(verbose_name=_("Login"))
    units = tables.Column(verbose_name=_("Units and roles"), empty_values=(), orderable=False)
    phone = tables.Column(verbose_name=_("Mobile phone"), accessor="profile__phone", orderable=False, default="")
    state = tables.Column(verbose_name=_("State"), empty_values=(), orderable=False)
    last_login = tables.DateTimeColumn(verbose_name=_("Last login"), format="Y-m-d H:i", default="—")

    class Meta:
        model = get_user_model()
        fields = ["name", "username", "units", "phone", "state", "last_login"]
        order_by = ("name",)

    def render_name(self, record):
        return person_name(record)

    def value_name(self, record):
        return person_name(record)

    def render_units(self, record):
        return "；".join(f"{m.unit.display_name} · {m.get_role_display()}" for m in record.memberships.all())

    def value_units(self, record):
        return self.render_units(record)

    def render_state(self, record):
        return person_state(record)

    def value_state(self, record):
        return person_state(record)


def person_state(user):
    profile = getattr(user, "profile", None)
    if not user.is_active:
        return _("Deactivated")
    if profile is not None and profile.must_change_password:
        return _("Waiting for first login")
    return _("Active")
