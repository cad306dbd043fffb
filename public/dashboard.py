"""What the home page shows of the public's side: plans by state, units under the
satisfaction threshold, opinions waiting. Read functions; reports/ calls them."""

from campaign import permissions
from campaign.permissions import EDIT

from . import plans, surveys
from .models import Opinion, OpinionStatus

FLAGGED_SHOWN = 10


def home_context(user):
    return {
        "plan_counts": plans.dashboard_counts(user),
        "flagged_units": list(surveys.flagged_units(user)[:FLAGGED_SHOWN]),
        "untreated_opinions": (
            Opinion.objects.restrict(user, EDIT).filter(status=OpinionStatus.NEW).count()
            if permissions.has_any(user, EDIT) else None
        ),
    }  # fmt: skip
