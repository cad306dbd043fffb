"""Reactions to Django's own signals: logins, logouts, deactivations, removed memberships.

Connected in CampaignConfig.ready(), so that they hold however the change was
made: on the app's pages, in the Django admin or from a shell.
"""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save

from campaign import accounts
from campaign.models import Membership, Profile, Role, Unit
from campaign.signals import unit_without_staff

MUST_CHANGE_PASSWORD = "must_change_password"
LAST_SEEN = "last_seen"  # when the session was last used (campaign.middleware's idle timeout)
DIRECTORY_BACKEND = "django_auth_ldap.backend.LDAPBackend"


def on_login(sender, request, user, **kwargs):
    """Remember the session (to end it at logout everywhere); an account with
    a one-time password must choose its own before anything else. Directory
    accounts keep their password in the directory."""
    accounts.record_session(user, request.session.session_key)
    request.session[LAST_SEEN] = int(time.time())  # the idle clock starts at the login
    profile = Profile.objects.filter(user=user).only("must_change_password").first()
    if profile and profile.must_change_password and getattr(user, "backend", "") != DIRECTORY_BACKEND:
        request.session[MUST_CHANGE_PASSWORD] = True


def on_logout(sender, request, user, **kwargs):
    """Logging out ends every session of the user, on every browser."""
    if user is not None:
        accounts.end_sessions(user)


def remember_active(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        instance._was_active = None
        return
    instance._was_active = sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()


def on_user_saved(sender, instance, created, **kwargs):
    if created or not getattr(instance, "_was_active", None) or instance.is_active:
        return
    accounts.after_deactivation(instance)
    staff_units = Unit.objects.filter(memberships__user=instance, memberships__role=Role.STAFF)
    for unit in accounts.units_without_staff(staff_units):
        unit_without_staff.send(sender=Unit, unit=unit)


def on_membership_deleted(sender, instance, **kwargs):
    if instance.role != Role.STAFF:
        return
    if not Membership.objects.filter(unit_id=instance.unit_id, role=Role.STAFF, user__is_active=True).exists():
        unit = Unit.objects.filter(pk=instance.unit_id).first()
        if unit is not None:
            unit_without_staff.send(sender=Unit, unit=unit)


def connect():
    User = get_user_model()
    user_logged_in.connect(on_login, dispatch_uid="campaign.on_login")
    user_logged_out.connect(on_logout, dispatch_uid="campaign.on_logout")
    pre_save.connect(remember_active, sender=User, dispatch_uid="campaign.remember_active")
    post_save.connect(on_user_saved, sender=User, dispatch_uid="campaign.on_user_saved")
    post_delete.connect(on_membership_deleted, sender=Membership, dispatch_uid="campaign.on_membership_deleted")
    try:
        from django_auth_ldap.backend import ldap_error
    except ImportError:  # LDAP support not installed: nothing to listen to
        return
    ldap_error.connect(on_directory_error, dispatch_uid="campaign.on_directory_error")


def on_directory_error(sender, context, user, request=None, exception=None, **kwargs):
    """The directory failed to answer: the login page says so (campaign.views.account)."""
    if request is not None:
        request.directory_unavailable = True
