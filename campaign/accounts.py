"""Accounts: whom an administrator manages, initial passwords, sessions, leaving.

- Whom an administrator manages is campaign.permissions' question (ADMINISTER,
  ``managed_people``, ``may_manage_person``); the functions here only name it.
- An initial password is derived from a random key kept on the profile and
  the site's secret key, so it can be printed again on a slip while the
  account waits for its first login, yet is stored nowhere; the first change
  of password clears the key.
- Deactivating keeps every row the person wrote (their name stays in the
  history); it ends their sessions and takes them out of notifications and
  supervision groups. A unit's last active staff member leaves only with a
  replacement named.
"""

import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import LoginSession, Membership, Profile, Role, SupervisionGroup, Unit
from campaign.permissions import ADMINISTER
from campaign.signals import account_deactivated

# Letters and digits that cannot be mistaken for one another on paper (no 0/o, 1/l/i).
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS, GROUP_LENGTH = 3, 4  # "k7mq-3xpt-9wre": 12 symbols of 31, about 59 bits
INITIAL_HASHER = "pbkdf2_initial"


# --- whom an administrator manages --------------------------------------------------


def may_manage_accounts(user):
    """Administrators (of any unit) and superusers manage accounts."""
    return permissions.has_any(user, ADMINISTER)


def managed_units(user):
    return Unit.objects.restrict(user, ADMINISTER)


def managed_people(user):
    return permissions.managed_people(user)


def can_manage(user, person):
    """May ``user`` reset the password of ``person``, deactivate or unlock them? (campaign.permissions)"""
    return permissions.may_manage_person(user, person)


def manageable_ids(user, people):
    return permissions.manageable_person_ids(user, people)


def require_manage(user, person):
    if not can_manage(user, person):
        raise PermissionDenied


# --- profiles and initial passwords --------------------------------------------------


def profile_of(user):
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


def new_password_key():
    return secrets.token_hex(16)


def derive_password(key):
    """The initial password a key stands for: ``xxxx-xxxx-xxxx`` from PASSWORD_ALPHABET."""
    number = int.from_bytes(salted_hmac("campaign.accounts.initial-password", key, algorithm="sha256").digest(), "big")
    symbols = []
    for _index in range(PASSWORD_GROUPS * GROUP_LENGTH):
        number, digit = divmod(number, len(PASSWORD_ALPHABET))
        symbols.append(PASSWORD_ALPHABET[digit])
    groups = ["".join(symbols[i : i + GROUP_LENGTH]) for i in range(0, len(symbols), GROUP_LENGTH)]
    return "-".join(groups)


def initial_password_hash(key):
    return make_password(derive_password(key), hasher=INITIAL_HASHER)


def initial_password(profile):
    """The initial password of an account still waiting for its first login, else None."""
    if profile is None or not profile.must_change_password or not profile.initial_password_key:
        return None
    return derive_password(profile.initial_password_key)


def initial_password_expired(profile, now=None):
    if profile is None or not profile.must_change_password or profile.initial_password_set_at is None:
        return False
    age = (now or timezone.now()) - profile.initial_password_set_at
    return age > timedelta(days=settings.INITIAL_PASSWORD_MAX_AGE_DAYS)


def issue_initial_password(person):
    """Give ``person`` a new one-time password (to change at the next login); returns it."""
    key = new_password_key()
    person.password = initial_password_hash(key)
    person.save(update_fields=["password"])
    profile = profile_of(person)
    profile.initial_password_key = key
    profile.initial_password_set_at = timezone.now()
    profile.must_change_password = True
    profile.save(update_fields=["initial_password_key", "initial_password_set_at", "must_change_password"])
    return derive_password(key)


def reset_password(user, person):
    """An administrator's reset: a new one-time password, every session of ``person`` ended."""
    require_manage(user, person)
    if not person.is_active:
        raise PermissionDenied
    password = issue_initial_password(person)
    end_sessions(person)
    return password


def password_changed(person):
    """``person`` chose their own password: the initial one is gone for good."""
    Profile.objects.update_or_create(
        user=person,
        defaults={
            "must_change_password": False,
            "initial_password_key": "",
            "password_changed_at": timezone.now(),
        },
    )


# --- sessions -----------------------------------------------------------------------


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def record_session(user, session_key):
    """Remember a session ``user`` signed in with; forget their sessions that have ended on their own."""
    if not session_key:
        return
    store = _session_store()
    for key in LoginSession.objects.filter(user=user).values_list("session_key", flat=True):
        if not store().exists(key):
            forget_session(key)
    LoginSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def forget_session(session_key):
    LoginSession.objects.filter(session_key=session_key).delete()


def end_sessions(user):
    """End every session ``user`` signed in with, on every browser; returns how many."""
    store = _session_store()
    keys = list(LoginSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user=user, session_key__in=keys).delete()
    return len(keys)


# --- leaving ------------------------------------------------------------------------


class LastStaffError(Exception):
    """The person is the last active staff member of these units; name a replacement."""

    def __init__(self, units):
        self.units = units
        names = "、".join(unit.name for unit in units)
        super().__init__(_("%(names)s would be left without office staff: name a replacement.") % {"names": names})


def sole_staff_units(person, units=None):
    """Units where ``person`` is the only active staff member (of ``units``, if given)."""
    own = Membership.objects.filter(user=person, role=Role.STAFF)
    if units is not None:
        own = own.filter(unit__in=units)
    unit_ids = set(own.values_list("unit_id", flat=True))
    others = set(
        Membership.objects.filter(unit_id__in=unit_ids, role=Role.STAFF, user__is_active=True)
        .exclude(user=person)
        .values_list("unit_id", flat=True)
    )
    return list(Unit.objects.filter(pk__in=unit_ids - others).order_by("path"))


def units_without_staff(units):
    """Of ``units``, those with no active staff account."""
    staffed = Membership.objects.filter(role=Role.STAFF, user__is_active=True).values("unit_id")
    return units.exclude(pk__in=staffed)


def replacement_candidates(user, person):
    """Active accounts ``user`` may hand ``person``'s office staff work to."""
    return managed_people(user).filter(is_active=True).exclude(pk=person.pk)


def colleagues(user, person, limit=50):
    """Candidates close to ``person``: in their units, the units just above or just below."""
    units = Unit.objects.filter(memberships__user=person)
    near = set(units.values_list("pk", flat=True)) | set(units.values_list("parent_id", flat=True))
    near |= set(Unit.objects.filter(parent__in=units).values_list("pk", flat=True))
    nearby = Membership.objects.filter(unit_id__in=near - {None}).values("user_id")
    return replacement_candidates(user, person).filter(pk__in=nearby).order_by("last_name", "username")[:limit]


def _hand_over(units, replacement):
    for unit in units:
        Membership.objects.get_or_create(user=replacement, unit=unit, role=Role.STAFF)


def deactivate(user, person, replacement=None):
    """Deactivate ``person``: refused (LastStaffError) when a unit would be left
    without staff and no replacement is named; the replacement becomes staff
    of those units. The person's sessions end, and the rest follows from
    :func:`after_deactivation`."""
    require_manage(user, person)
    if replacement is not None and (replacement.pk == person.pk or not replacement.is_active):
        raise PermissionDenied
    with transaction.atomic():
        units = sole_staff_units(person)
        if units and replacement is None:
            raise LastStaffError(units)
        _hand_over(units, replacement)
        Profile.objects.update_or_create(
            user=person, defaults={"deactivated_at": timezone.now(), "deactivated_by": user}
        )
        person.is_active = False
        person.save(update_fields=["is_active"])  # post_save: after_deactivation
    return units


def reactivate(user, person):
    require_manage(user, person)
    person.is_active = True
    person.save(update_fields=["is_active"])
    Profile.objects.filter(user=person).update(deactivated_at=None, deactivated_by=None)


def remove_membership(user, membership, replacement=None):
    """Take a membership away; the unit's last staff member only with a replacement."""
    require_manage(user, membership.user)
    with transaction.atomic():
        units = []
        if membership.role == Role.STAFF:
            units = sole_staff_units(membership.user, units=[membership.unit])
        if units and replacement is None:
            raise LastStaffError(units)
        if units:
            _hand_over(units, replacement)
        membership.delete()


def after_deactivation(person):
    """What follows a deactivation, whichever way it happened (here or in the
    Django admin): sessions end, supervision groups lose the person, and the
    other apps are told (e-mails waiting for them are dropped)."""
    end_sessions(person)
    person.supervision_groups.clear()
    SupervisionGroup.objects.filter(leader=person).update(leader=None)
    account_deactivated.send(sender=get_user_model(), user=person)
