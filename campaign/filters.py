import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Batch, Participation, Unit, UnitKind
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
