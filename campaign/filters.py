import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Batch, Membership, Participation, Role, Unit, UnitKind
from campaign.models.campaigns import LOOK_BACK_CHECKS
from campaign.widgets import unit_filter


class ParticipationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Unit name"), method="filter_name")
    within = unit_filter(_("Within"))
    batch = django_filters.ModelChoiceFilter(label=_("Batch"), queryset=Batch.objects.none(), empty_label=_("All batches"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), field_name="unit__kind", choices=UnitKind.choices, empty_label=_("All kinds"))
    checks = django_filters.ChoiceFilter(
        label=_("Five checks"),
        method="filter_checks",
        choices=[("complete", _("All five done")), ("incomplete", _("Some not done"))],
        empty_label=_("Any"),
    )

    class Meta:
        model = Participation
        fields = ["q", "within", "batch", "kind", "checks"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["within"].queryset = Unit.objects.visible_to(user)
        self.filters["batch"].queryset = Batch.objects.filter(participations__in=self.queryset).distinct()

    def filter_name(self, queryset, name, value):
        return queryset.filter(Q(unit__name__icontains=value) | Q(unit__short_name__icontains=value))

    def filter_within(self, queryset, name, value):
        return queryset.within(value)

    def filter_checks(self, queryset, name, value):
        all_done = Q(**{field: True for field, _label in LOOK_BACK_CHECKS})
        return queryset.filter(all_done) if value == "complete" else queryset.exclude(all_done)


class PersonFilterSet(django_filters.FilterSet):
    """Accounts an administrator manages: by name, unit subtree, role and state."""

    q = django_filters.CharFilter(label=_("Name, login or phone"), method="filter_text")
    within = django_filters.ModelChoiceFilter(
        label=_("Unit and below"), queryset=Unit.objects.none(), method="filter_within", empty_label=_("All my units")
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=Role.choices, method="filter_role", empty_label=_("Any role")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        method="filter_state",
        choices=[
            ("active", _("Active")),
            ("first_login", _("Waiting for first login")),
            ("inactive", _("Deactivated")),
        ],
        empty_label=_("Any"),
    )

    class Meta:
        model = get_user_model()
        fields = ["q", "within", "role", "state"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from campaign.accounts import managed_units

        # As the other lists: the units with units below them (a leaf is found by name).
        self.filters["within"].queryset = managed_units(user).filter(children__isnull=False).distinct().order_by("path")

    def filter_text(self, queryset, name, value):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(last_name__icontains=value)
            | Q(first_name__icontains=value)
            | Q(profile__phone__contains=value)
            | Q(profile__staff_number__icontains=value)
        )

    def filter_within(self, queryset, name, value):
        return queryset.filter(pk__in=Membership.objects.filter(unit__path__startswith=value.path).values("user_id"))

    def filter_role(self, queryset, name, value):
        return queryset.filter(pk__in=Membership.objects.filter(role=value).values("user_id"))

    def filter_state(self, queryset, name, value):
        if value == "inactive":
            return queryset.filter(is_active=False)
        queryset = queryset.filter(is_active=True)
        if value == "first_login":
            queryset = queryset.filter(profile__must_change_password=True)
        return queryset
