"""The operations page: background jobs, queues, warning policies.

The page and the sweep button are for those who run the whole installation
(``OPERATE``: superusers and administrators of a top-level unit); anyone else
gets 403 and an anonymous visitor the login page. A campaign's warning
policies may be edited by whoever administers its issuing unit
(``ADMINISTER``). Both rules are campaign.permissions'.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Campaign
from campaign.permissions import ADMINISTER, OPERATE
from rectification import policy
from rectification.jobs import latest_runs, queue_counts
from rectification.models import Term, WarningPolicy
from rectification.sweep import JOB_NAME, run_sweep

# The hourly Celery job wraps the sweep (recorded on its own, JOB_NAME) and
# then makes the notifications and queues the e-mails: both rows are shown.
JOB_LABELS = {
    JOB_NAME: gettext_lazy("Overdue sweep (levels and alerts)"),
    "rectification.sweep_overdue": gettext_lazy("Hourly job: sweep, notifications, e-mails"),
    "rectification.deliver_pending": gettext_lazy("Delivery of e-mails and group-chat messages"),
    "rectification.send_deadline_reminders": gettext_lazy("Deadline reminders"),
    "rectification.send_daily_digests": gettext_lazy("Daily digests"),
    "reports.take_snapshots": gettext_lazy("Daily snapshots of every unit's figures"),
    "campaign.prune_exports": gettext_lazy("Old exports deleted"),
}
CHANGE_LABELS = {
    "today": gettext_lazy("date swept"),
    "escalated": gettext_lazy("tasks now escalated"),
    "red": gettext_lazy("tasks now overdue"),
    "yellow": gettext_lazy("tasks now due soon"),
    "none": gettext_lazy("tasks back on schedule"),
    "alerts_created": gettext_lazy("alerts raised"),
    "notified_alerts": gettext_lazy("alerts announced"),
    "notified_notifications": gettext_lazy("notifications made"),
    "alerts": gettext_lazy("alerts announced"),
    "notifications": gettext_lazy("notifications made"),
    "queued": gettext_lazy("messages queued (e-mails, group chats)"),
    "robot_messages": gettext_lazy("group-chat messages made"),
    "notified_robot_messages": gettext_lazy("group-chat messages made"),
    "tasks": gettext_lazy("tasks reminded of"),
    "digests": gettext_lazy("digests made"),
    "empty": gettext_lazy("supervisors with nothing to report"),
    "units": gettext_lazy("units saved"),
}


def _require_operator(user):
    permissions.require_any(user, OPERATE)


@login_required
def operations(request):
    """What the background jobs last did, what waits for them, and the warning windows."""
    _require_operator(request.user)
    runs = [
        {
            "run": run,
            "label": JOB_LABELS.get(run.name, run.name),
            "changes": _changes(run.changes),
            "error_line": run.error.strip().splitlines()[-1] if run.error.strip() else "",
        }
        for run in latest_runs()
    ]
    context = {
        "runs": runs,
        "queues": queue_counts(),
        "campaigns": _campaign_policies(request.user),
        "sweep_job": JOB_NAME,
    }
    return render(request, "rectification/operations.html", context)


def _changes(changes):
    """A run's changes as labelled rows: the sweep's in a fixed order (PostgreSQL's
    jsonb does not keep the order of keys), any other job's by key."""
    if not isinstance(changes, dict):
        return []
    known = list(CHANGE_LABELS)
    keys = sorted(changes, key=lambda key: (known.index(key) if key in known else len(known), key))
    return [{"key": key, "label": CHANGE_LABELS.get(key, key), "value": changes[key]} for key in keys]


def _campaign_policies(user):
    """Each campaign the user sees, with its effective policy per term (two queries)."""
    campaigns = list(
        Campaign.objects.visible_to(user).select_related("issuing_unit").prefetch_related("warning_policies")
    )
    result = []
    for campaign in campaigns:
        own = {stored.term: stored for stored in campaign.warning_policies.all()}
        rows = []
        for term in Term:
            stored = own.get(term.value)
            rows.append({"term": term.label, "policy": policy.for_term(term.value, stored), "is_default": stored is None})
        result.append({"campaign": campaign, "rows": rows, "editable": permissions.may(user, ADMINISTER, campaign)})
    return result


@login_required
@require_POST
def operations_sweep(request):
    """Run the overdue sweep now (it also runs on its schedule)."""
    _require_operator(request.user)
    counts = run_sweep()
    messages.success(
        request,
        _(
            "Sweep done: %(yellow)s due soon, %(red)s overdue, %(escalated)s escalated, "
            "%(none)s back on schedule; %(alerts)s alerts raised."
        )
        % {**counts, "alerts": counts["alerts_created"]},
    )
    return redirect("rectification:operations")


class WarningPolicyForm(forms.Form):
    """One term's row; the limits and the checks are rectification.policy's, as in the admin."""

    term = forms.ChoiceField(choices=Term.choices, widget=forms.HiddenInput)
    window_days = forms.IntegerField(
        label=gettext_lazy("Warning window (days before due)"), min_value=0, max_value=policy.LIMITS["window_days"]
    )
    escalate_after_days = forms.IntegerField(
        label=gettext_lazy("Escalate when overdue by more than (days)"),
        min_value=0,
        max_value=policy.LIMITS["escalate_after_days"],
    )
    explanation_grace_days = forms.IntegerField(
        label=gettext_lazy("Escalate when unexplained for more than (days)"),
        min_value=0,
        max_value=policy.LIMITS["explanation_grace_days"],
    )
    reminder_days = forms.IntegerField(
        label=gettext_lazy("Remind this many days before due"), min_value=0, max_value=policy.LIMITS["reminder_days"]
    )

    def clean(self):
        data = super().clean()
        try:
            policy.validate(data)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                if field not in self.errors:  # a field already refused says it once
                    self.add_error(field, errors)
        return data

    def term_label(self):
        value = self["term"].value()
        return dict(Term.choices).get(value, value)


class BaseWarningPolicyFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        terms = [form.cleaned_data["term"] for form in self.forms]
        if sorted(terms) != sorted(Term.values):
            raise forms.ValidationError(_("Give one row for each term."))


WarningPolicyFormSet = forms.formset_factory(
    WarningPolicyForm,
    formset=BaseWarningPolicyFormSet,
    extra=0,
    min_num=3,
    max_num=3,
    validate_min=True,
    validate_max=True,
)


def _initial_policies(campaign):
    """The form's rows: the campaign's values, or the defaults (reminders 0: the term's default)."""
    own = {stored.term: stored for stored in campaign.warning_policies.all()}
    initial = []
    for term in Term.values:
        stored = own.get(term)
        effective = policy.for_term(term, stored)
        initial.append(
            {
                "term": term,
                "window_days": effective.window_days,
                "escalate_after_days": effective.escalate_after_days,
                "explanation_grace_days": effective.explanation_grace_days,
                "reminder_days": stored.reminder_days if stored else 0,
            }
        )
    return initial


@login_required
def warningpolicy_edit(request, campaign_pk):
    """Edit a campaign's warning windows, one row per term; the sweep applies them at once."""
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user).select_related("issuing_unit"), pk=campaign_pk)
    permissions.require(request.user, ADMINISTER, campaign)
    if request.method == "POST":
        formset = WarningPolicyFormSet(request.POST)
        if formset.is_valid():
            with transaction.atomic():
                for form in formset.forms:
                    data = dict(form.cleaned_data)
                    WarningPolicy.objects.update_or_create(campaign=campaign, term=data.pop("term"), defaults=data)
            counts = run_sweep()
            messages.success(
                request,
                _("The warning policies of %(campaign)s are saved; %(changed)s tasks changed level.")
                % {
                    "campaign": campaign.name,
                    "changed": sum(counts[key] for key in ("yellow", "red", "escalated", "none")),
                },
            )
            return redirect("rectification:operations")
    else:
        formset = WarningPolicyFormSet(initial=_initial_policies(campaign))
    return render(request, "rectification/operations_policy_form.html", {"campaign": campaign, "formset": formset})
