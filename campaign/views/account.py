"""Signing in and out, and one's own password."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign import accounts, logins
from campaign.models import Profile
from campaign.receivers import DIRECTORY_BACKEND, MUST_CHANGE_PASSWORD


class LoginForm(AuthenticationForm):
    """Django's login form, which also refuses an expired initial password and
    says when the directory (LDAP) did not answer."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "initial_password_expired": gettext_lazy(
            "This initial password has expired. Ask your administrator for a new one."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "directory_unavailable", False):
                self.add_error(
                    None,
                    _(
                        "The intranet sign-on (directory) did not answer, so directory accounts cannot sign in "
                        "just now. Accounts of this site still can."
                    ),
                )
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if getattr(user, "backend", "") == DIRECTORY_BACKEND:
            return
        profile = Profile.objects.filter(user=user).first()
        if accounts.initial_password_expired(profile):
            raise ValidationError(self.error_messages["initial_password_expired"], code="initial_password_expired")


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


def locked_out(request, original_response=None, credentials=None):
    """Axes' answer to a locked login name or address: the login page, saying until when."""
    until = logins.lock_of_request(request, credentials)
    if until is not None:
        local = timezone.localtime(until)
        when = date_format(local, "H:i") if local.date() == timezone.localdate() else date_format(local, "Y-m-d H:i")
        message = _(
            "Too many failed logins: signing in is locked until %(time)s. Try again then, "
            "or ask an administrator to unlock it."
        ) % {"time": when}
    else:
        message = _("Too many failed logins: signing in is locked for a while. Ask an administrator to unlock it.")
    form = LoginForm(request, initial={"username": (credentials or {}).get("username", "")})
    context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


class LogoutView(auth_views.LogoutView):
    """Logging out ends every session of the user (campaign.receivers.on_logout)."""


class OwnPasswordForm(PasswordChangeForm):
    def clean_new_password1(self):
        password = self.cleaned_data.get("new_password1")
        if password and self.user.check_password(password):
            raise ValidationError(_("Choose a password different from the one you have now."), code="same_password")
        return password


class PasswordChangeView(auth_views.PasswordChangeView):
    """One's own password, checked by Django's validators; the first login
    with a one-time password lands here and cannot go anywhere else."""

    form_class = OwnPasswordForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("reports:home")

    def post(self, request, *args, **kwargs):
        if not request.user.has_usable_password():  # a directory account: nothing to change here
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.request.session.get(MUST_CHANGE_PASSWORD):
            form.fields["old_password"].label = _("Initial password")
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["forced"] = bool(self.request.session.get(MUST_CHANGE_PASSWORD))
        context["directory_account"] = not self.request.user.has_usable_password()
        context["next"] = self.request.GET.get("next", "")
        return context

    def form_valid(self, form):
        old_key = self.request.session.session_key
        form.save()
        update_session_auth_hash(self.request, form.user)  # this session goes on; the others end
        accounts.forget_session(old_key)
        accounts.record_session(form.user, self.request.session.session_key)
        accounts.password_changed(form.user)
        self.request.session.pop(MUST_CHANGE_PASSWORD, None)
        messages.success(self.request, _("Your password has been changed."))
        return super(auth_views.PasswordChangeView, self).form_valid(form)

    def get_success_url(self):
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return str(self.success_url)

