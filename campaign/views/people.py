"""Accounts for administrators: the list, a person's page and its actions, bulk provisioning and slips.

Every view asks campaign.accounts whom the user manages: the list and the
pages show only people with a unit in the administrator's scope, and the
actions (reset, deactivate, unlock, slips) only people wholly inside it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2.views import SingleTableMixin

from campaign import accounts, logins, permissions, provisioning, slips
from campaign.exports import ExportMixin
from campaign.filters import PersonFilterSet
from campaign.forms import DeactivateForm, ProvisionForm
from campaign.models import Membership, Profile, ProvisionedAccount, ProvisioningRun, Role
from campaign.people import person_name, supervision_roles
from campaign.tables import PersonTable
from campaign.tasks import provision_accounts
from campaign.upload_limits import refuse_if_stopped

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
UNITS_WITHOUT_STAFF_SHOWN = 20
# One PDF of slips at most this long (WeasyPrint lays out about ten pages a second).
SLIPS_PER_PDF = 300


def require_account_manager(user):
    if not accounts.may_manage_accounts(user):
        raise PermissionDenied


def _person_in_scope(request, pk):
    """The person (404 outside the administrator's scope) for the pages; actions also need can_manage."""
    require_account_manager(request.user)
    return get_object_or_404(accounts.managed_people(request.user).select_related("profile"), pk=pk)


def _person_to_manage(request, pk):
    person = _person_in_scope(request, pk)
    accounts.require_manage(request.user, person)
    return person


# --- the list --------------------------------------------------------------------------


class PersonListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Accounts of the administrator's units: one queryset, one FilterSet, one Table."""

    table_class = PersonTable
    filterset_class = PersonFilterSet
    template_name = "campaign/person_list.html"
    paginate_by = 50
    export_name = gettext_lazy("Accounts")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require_account_manager(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        memberships = Membership.objects.select_related("unit").order_by("unit__path", "role")
        return (
            accounts.managed_people(self.request.user)
            .select_related("profile")
            .prefetch_related(Prefetch("memberships", queryset=memberships))
            .order_by("last_name", "first_name", "username")
        )

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        without = accounts.units_without_staff(accounts.managed_units(self.request.user)).order_by("path")
        context["units_without_staff"] = list(without[:UNITS_WITHOUT_STAFF_SHOWN])
        context["units_without_staff_count"] = without.count()
        context["runs"] = ProvisioningRun.objects.filter(created_by=self.request.user)[:5]
        return context


# --- a person -------------------------------------------------------------------------------


@login_required
def person_detail(request, pk):
    person = _person_in_scope(request, pk)
    profile = getattr(person, "profile", None)
    manageable = accounts.can_manage(request.user, person)
    context = {
        "person": person,
        "profile": profile,
        "manageable": manageable,
        "memberships": Membership.objects.filter(user=person).select_related("unit").order_by("unit__path"),
        "groups": supervision_roles(person),
        "waiting_first_login": bool(profile and profile.must_change_password),
        "locked_until": logins.locked_until(username=person.username),
        "recent_logins": logins.recent_logins(person.username),
        "recent_failures": logins.recent_failures(person.username),
        "sole_staff_units": accounts.sole_staff_units(person) if person.is_active else [],
        "deactivate_form": DeactivateForm() if manageable and person.is_active else None,
        "colleagues": accounts.colleagues(request.user, person) if manageable and person.is_active else [],
    }
    return render(request, "campaign/person_detail.html", context)


@login_required
@require_POST
def person_reset_password(request, pk):
    """A new one-time password, shown once on this page (and printable as a slip until it is used)."""
    person = _person_to_manage(request, pk)
    if not person.is_active:
        raise PermissionDenied
    password = accounts.reset_password(request.user, person)
    response = render(request, "campaign/person_password.html", {"person": person, "password": password})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def person_deactivate(request, pk):
    person = _person_to_manage(request, pk)
    form = DeactivateForm(request.POST, candidates=accounts.replacement_candidates(request.user, person))
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["replacement"]))
        return redirect("campaign:person_detail", pk=person.pk)
    replacement = form.cleaned_data["replacement"]
    try:
        handed = accounts.deactivate(request.user, person, replacement)
    except accounts.LastStaffError as error:
        messages.error(request, str(error))
        return redirect("campaign:person_detail", pk=person.pk)
    message = _("%(person)s is deactivated: their sessions have ended, and what they did stays in the history.")
    messages.success(request, message % {"person": person_name(person)})
    if handed:
        message = _("%(replacement)s is now office staff of %(units)s.")
        names = "、".join(unit.display_name for unit in handed)
        messages.success(request, message % {"replacement": person_name(replacement), "units": names})
    return redirect("campaign:person_detail", pk=person.pk)


@login_required
@require_POST
def person_reactivate(request, pk):
    person = _person_to_manage(request, pk)
    accounts.reactivate(request.user, person)
    messages.success(request, _("%(person)s can sign in again.") % {"person": person_name(person)})
    return redirect("campaign:person_detail", pk=person.pk)


@login_required
@require_POST
def person_unlock(request, pk):
    person = _person_to_manage(request, pk)
    logins.unlock(person.username)
    messages.success(request, _("Logins of %(person)s are unlocked.") % {"person": person_name(person)})
    return redirect("campaign:person_detail", pk=person.pk)


@login_required
@require_POST
def membership_remove(request, pk):
    """Take one unit (in a role) away from a person; the unit's last office staff only with a replacement."""
    require_account_manager(request.user)
    membership = get_object_or_404(
        Membership.objects.filter(unit__in=accounts.managed_units(request.user)).select_related("user", "unit"), pk=pk
    )
    person = membership.user
    form = DeactivateForm(request.POST, candidates=accounts.replacement_candidates(request.user, person))
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["replacement"]))
        return redirect("campaign:person_detail", pk=person.pk)
    replacement = form.cleaned_data["replacement"]
    try:
        accounts.remove_membership(request.user, membership, replacement)
    except accounts.LastStaffError as error:
        messages.error(request, str(error))
    else:
        message = _("%(person)s is no longer %(role)s of %(unit)s.")
        messages.success(
            request,
            message % {"person": person_name(person), "role": membership.get_role_display(), "unit": membership.unit},
        )
    return redirect("campaign:person_detail", pk=person.pk)


@login_required
def person_slip(request, pk):
    """The slip of one account still waiting for its first login."""
    person = _person_to_manage(request, pk)
    password = accounts.initial_password(Profile.objects.filter(user=person).first())
    if password is None or not person.is_active:
        raise Http404
    membership = Membership.objects.filter(user=person).select_related("unit").order_by("unit__path").first()
    if membership is None:
        raise Http404
    return _pdf(slips.slips_pdf([(membership.unit, person, password)], request), person.username)


# --- provisioning ----------------------------------------------------------------------------


@login_required
def provision(request):
    """Upload a sheet of people: all of it is imported, or nothing and every problem is listed."""
    require_account_manager(request.user)
    if request.method == "POST":
        form = ProvisionForm(request.POST, request.FILES)
        refuse_if_stopped(request, form, "file")
        if form.is_valid():
            run = provisioning.start(
                request.user,
                form.cleaned_data["file"].name,
                form.data_bytes,
                form.rows,
                directory_sign_in=bool(form.cleaned_data.get("directory_sign_in")),
                queue=provision_accounts.delay_on_commit,
            )
            return redirect("campaign:provisioning_run", pk=run.pk)
    else:
        form = ProvisionForm()
    context = {
        "form": form,
        "columns": provisioning.COLUMNS,
        "roles": _role_words(),
        "background_rows": provisioning.BACKGROUND_ROWS,
    }
    return render(request, "campaign/provision.html", context)


def _role_words():
    words = {value: [] for value in Role.values}
    for word, value in provisioning.ROLE_WORDS.items():
        words[value].append(word)
    return [(Role(value).label, words[value]) for value in Role.values]


@login_required
def provision_template(request):
    require_account_manager(request.user)
    response = HttpResponse(provisioning.template_workbook(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _("account import template") + ".xlsx")
    return response


def _run_of(request, pk):
    """A run the user uploaded (any run, for a superuser)."""
    require_account_manager(request.user)
    runs = ProvisioningRun.objects.all()
    if not permissions.access(request.user).superuser:
        runs = runs.filter(created_by=request.user)
    return get_object_or_404(runs, pk=pk)


@login_required
def provisioning_run(request, pk):
    """What a run did: its problems, or the accounts it made with their initial passwords.

    While a background worker imports the file, the page reloads its status by itself."""
    run = _run_of(request, pk)
    entries = []
    if run.status == ProvisioningRun.Status.DONE:
        entries = list(
            ProvisionedAccount.objects.filter(run=run).select_related("user__profile", "unit").order_by("row", "pk")
        )
        for entry in entries:
            entry.password = accounts.initial_password(getattr(entry.user, "profile", None)) if entry.created else None
    pending = provisioning.pending_accounts(run, request.user) if entries else []
    slip_units = {}
    for unit, _user, _password in pending:
        slip_units.setdefault(unit, 0)
        slip_units[unit] += 1
    context = {
        "run": run,
        "entries": entries,
        "problems": run.problems,
        "pending_count": len(pending),
        "slip_units": list(slip_units.items()),
        "slips_in_one_file": len(pending) <= SLIPS_PER_PDF,
    }
    template = "campaign/_provisioning_status.html" if request.htmx else "campaign/provisioning_run.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def provisioning_slips(request, pk):
    """The run's slips: A4, a page per unit, one slip per account still waiting for its first login.

    ``?unit=<id>`` prints one unit's; a large run is printed unit by unit (each PDF stays quick)."""
    run = _run_of(request, pk)
    pending = provisioning.pending_accounts(run, request.user)
    unit_id = request.GET.get("unit", "")
    if unit_id:
        pending = [slip for slip in pending if str(slip[0].pk) == unit_id]
    elif len(pending) > SLIPS_PER_PDF:
        messages.error(request, _("Too many slips for one file: print them unit by unit."))
        return redirect("campaign:provisioning_run", pk=run.pk)
    if not pending:
        raise Http404
    stamp = timezone.localtime(run.created_at).strftime("%Y%m%d-%H%M")
    return _pdf(slips.slips_pdf(pending, request), f"{_('account slips')}-{stamp}")


def _pdf(data, name):
    response = HttpResponse(data, content_type=PDF_TYPE)
    response["Content-Disposition"] = content_disposition_header(False, f"{name}.pdf")
    response["Cache-Control"] = "no-store"
    return response

