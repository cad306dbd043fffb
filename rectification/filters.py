"""Filter sets of the lists: tasks, spot checks, accountability records."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Batch, Campaign, SupervisionGroup, Unit
from campaign.permissions import OVERSEE, OWN
from campaign.widgets import unit_filter
from rectification.models import AccountabilityRecord, SpotCheck, Task, TaskStatus, Term, WarningLevel
from rectification.models.problems import ProblemCategory
from rectification.models.supervision import AccountabilityMeasure

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaskFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title, measures or problem")}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=TaskStatus.choices, empty_label=_("Any status"))
    warning_level = django_filters.ChoiceFilter(
        label=_("Warning"), choices=WarningLevel.choices, empty_label=_("Any warning level")
    )
    term = django_filters.ChoiceFilter(label=_("Term"), choices=Term.choices, empty_label=_("Any term"))
    category = django_filters.ChoiceFilter(
        label=_("Category"), field_name="problem__category", choices=ProblemCategory.choices, empty_label=_("Any category")
    )
    batch = django_filters.ModelChoiceFilter(label=_("Batch"), queryset=Batch.objects.none(), empty_label=_("All batches"))
    within = unit_filter(_("Responsible unit within"))
    mine = django_filters.BooleanFilter(label=_("Only my units' tasks"), method="filter_mine", widget=forms.CheckboxInput)
    overdue = django_filters.BooleanFilter(
        label=_("Only overdue (red or escalated)"), method="filter_overdue", widget=forms.CheckboxInput
    )

    class Meta:
        model = Task
        fields = ["q", "status", "warning_level", "term", "category", "batch", "within", "mine", "overdue"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["within"].queryset = Unit.objects.visible_to(user)
        self.filters["batch"].queryset = Batch.objects.filter(
            campaign__in=Campaign.objects.visible_to(user)
        ).select_related("campaign")

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(measures__icontains=value) | Q(problem__title__icontains=value)
        )

    def filter_within(self, queryset, name, value):
        return queryset.within(value)

    def filter_mine(self, queryset, name, value):
        return queryset.restrict(self.user, OWN) if value else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset


class SpotCheckFilterSet(django_filters.FilterSet):
    group = django_filters.ModelChoiceFilter(label=_("Supervision group"), queryset=None, empty_label=_("All groups"))
    checked_from = django_filters.DateFilter(label=_("From"), field_name="checked_on", lookup_expr="gte", widget=DATE_INPUT)
    checked_to = django_filters.DateFilter(label=_("To"), field_name="checked_on", lookup_expr="lte", widget=DATE_INPUT)

    class Meta:
        model = SpotCheck
        fields = ["group", "checked_from", "checked_to"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["group"].queryset = SupervisionGroup.objects.filter(spot_checks__in=self.queryset).distinct()


class AccountabilityFilterSet(django_filters.FilterSet):
    measure = django_filters.ChoiceFilter(label=_("Measure"), choices=AccountabilityMeasure.choices, empty_label=_("All measures"))
    within = unit_filter(_("Within"), source="oversee")
    decided_from = django_filters.DateFilter(label=_("From"), field_name="decided_on", lookup_expr="gte", widget=DATE_INPUT)
    decided_to = django_filters.DateFilter(label=_("To"), field_name="decided_on", lookup_expr="lte", widget=DATE_INPUT)

    class Meta:
        model = AccountabilityRecord
        fields = ["measure", "within", "decided_from", "decided_to"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["within"].queryset = Unit.objects.restrict(user, OVERSEE)

    def filter_within(self, queryset, name, value):
        return queryset.within(value)
