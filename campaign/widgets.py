"""The unit picker (issue 10): a search field instead of a <select> of every unit.

A province's user may choose among 100,000 units; a <select> of them is a
6 MB page. :class:`UnitSearchInput` renders a search box that asks the server
(``campaign:unit_search``) for the units matching what is typed (name, short
name or code), among the units of a named *source* — the same set the form
field accepts, each source a function of the user (:data:`SOURCES`), so the
server never offers a unit the user may not choose. Without JavaScript the
typed name is looked up when the form is sent (:class:`UnitField`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.permissions import EDIT, OVERSEE, SUPERVISE

SEARCH_LIMIT = 20
SOURCES = {}  # name -> function(user) -> Unit queryset


def unit_source(name):
    """Register a function of the user giving the units a picker offers."""

    def register(function):
        SOURCES[name] = function
        return function

    return register


def _units():
    from campaign.models import Unit

    return Unit.objects


@unit_source("visible")
def visible_units(user):
    return _units().visible_to(user)


@unit_source("edit")
def editable_units(user):
    return _units().restrict(user, EDIT)


@unit_source("oversee")
def overseen_units(user):
    return _units().restrict(user, OVERSEE)


@unit_source("supervise")
def supervised_units(user):
    return _units().restrict(user, SUPERVISE)


def search(units, text, limit=SEARCH_LIMIT):
    """Units among ``units`` whose name or short name holds ``text``, or whose code is it; upper units first."""
    text = text.strip()
    if not text:
        return units.none()
    matches = Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code__iexact=text)
    return units.filter(matches).order_by("depth", "path")[:limit]


class TypedName(str):
    """What was typed in the search box when no unit was picked (no JavaScript)."""


class UnitSearchInput(forms.Widget):
    template_name = "campaign/widgets/unit_search.html"

    def __init__(self, source, multiple=False, placeholder="", attrs=None):
        super().__init__(attrs)
        self.source = source
        self.multiple = multiple
        self.placeholder = placeholder
        self.choices = ()  # set by the field; never listed

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.choices = ()
        return copy

    def format_value(self, value):
        if value in (None, ""):
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        return [str(v) for v in values if v not in (None, "")]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        ids = [v for v in context["widget"]["value"] if str(v).isdigit()]
        typed = [v for v in context["widget"]["value"] if isinstance(v, TypedName)]
        selected = list(_units().filter(pk__in=ids).only("pk", "name", "short_name", "path")) if ids else []
        context["widget"].update(
            {
                "multiple": self.multiple,
                "selected": selected,
                "typed": typed[0] if typed else (selected[0].name if selected and not self.multiple else ""),
                "placeholder": self.placeholder or _("Type a unit's name, short name or code"),
                "search_url": reverse("campaign:unit_search") + "?" + urlencode({"source": self.source, "field": name}),
            }
        )
        return context

    def value_from_datadict(self, data, files, name):
        if self.multiple:
            return [value for value in data.getlist(name) if value] if hasattr(data, "getlist") else data.get(name)
        value = data.get(name)
        if value:
            return value
        text = (data.get(f"{name}_search") or "").strip()
        return TypedName(text) if text else None

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_search" not in data

    def use_required_attribute(self, initial):
        return False


def _resolve(queryset, text):
    """The one unit of ``queryset`` named, short-named or coded ``text``."""
    found = list(queryset.filter(Q(name=text) | Q(short_name=text) | Q(code=text))[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        message = _("No unit you may choose is called “%(text)s”: type part of its name and pick it from the list.")
    else:
        message = _("Several units are called “%(text)s”: pick the one you mean from the list.")
    raise ValidationError(message % {"text": text}, code="invalid_choice")


class UnitField(forms.ModelChoiceField):
    """One unit, chosen with a :class:`UnitSearchInput` (``source`` names the set offered;
    the field's queryset is what it accepts)."""

    def __init__(self, *, source="visible", queryset=None, placeholder="", **kwargs):
        kwargs.setdefault("widget", UnitSearchInput(source, placeholder=placeholder))
        kwargs.pop("empty_label", None)
        super().__init__(queryset=queryset if queryset is not None else _units().none(), **kwargs)

    def to_python(self, value):
        if isinstance(value, TypedName):
            return _resolve(self.queryset, value)
        return super().to_python(value)


class UnitMultipleField(forms.ModelMultipleChoiceField):
    """Several units, chosen one by one with a :class:`UnitSearchInput`."""

    def __init__(self, *, source="visible", queryset=None, placeholder="", **kwargs):
        kwargs.setdefault("widget", UnitSearchInput(source, multiple=True, placeholder=placeholder))
        super().__init__(queryset=queryset if queryset is not None else _units().none(), **kwargs)


WHOLE_SCOPE = gettext_lazy("My whole scope: type to choose a unit")


def unit_filter(label, source="visible", method="filter_within"):
    """A django-filter filter choosing one unit with the picker (``within`` of the lists)."""
    import django_filters

    class UnitFilter(django_filters.ModelChoiceFilter):
        field_class = UnitField

    return UnitFilter(label=label, queryset=_units().none(), method=method, source=source, placeholder=WHOLE_SCOPE)
