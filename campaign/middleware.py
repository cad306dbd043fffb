"""Session rules every page obeys: the idle timeout and the forced first change of password."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import ngettext

from campaign.accounts import forget_session
from campaign.receivers import LAST_SEEN, MUST_CHANGE_PASSWORD

# The time of the last request is written at most once a minute, not on every request.
LAST_SEEN_STEP = 60
# Pages an account that must change its password may still reach.
OPEN_URL_NAMES = ("password_change", "logout", "login", "set_language")


class SessionPolicyMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware.

    - A session unused for ``SESSION_IDLE_TIMEOUT`` seconds is over: the next
      request finds itself signed out and is sent to the login page with a
      note saying why (other sessions of the user are not touched).
    - An account signed in with a one-time password reaches nothing but the
      page to choose its own password (and logging out).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response = self.idle_check(request) or self.password_check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def idle_check(self, request):
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN)
        if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
            forget_session(request.session.session_key)
            request.session.flush()
            request.user = AnonymousUser()
            minutes = settings.SESSION_IDLE_TIMEOUT // 60
            messages.info(
                request,
                ngettext(
                    "You were signed out after %(minutes)s minute without activity. Please sign in again.",
                    "You were signed out after %(minutes)s minutes without activity. Please sign in again.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            return self.to(request, redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL)))
        if last_seen is None or now - last_seen >= LAST_SEEN_STEP:
            request.session[LAST_SEEN] = now
        return None

    def password_check(self, request):
        if not request.session.get(MUST_CHANGE_PASSWORD):
            return None
        match = getattr(request, "resolver_match", None)
        path = request.path_info
        if any(path == reverse(name) for name in OPEN_URL_NAMES) or (match and match.url_name in OPEN_URL_NAMES):
            return None
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        return self.to(request, redirect_to_login(request.get_full_path(), reverse("password_change")))

    @staticmethod
    def to(request, response):
        """htmx requests are redirected as a whole page, not swapped into a fragment
        (HtmxMiddleware comes later in the chain, so the header is read here)."""
        if request.headers.get("HX-Request") == "true":
            htmx_response = HttpResponse(status=204)
            htmx_response["HX-Redirect"] = response["Location"]
            return htmx_response
        return response
