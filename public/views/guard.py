"""What every public form goes through: a size limit and a rate limit per address."""

import functools

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from public import ratelimit


def public_form(scope):
    """Refuse oversized bodies (413) before reading them; mark the request ``rate_limited``
    when its address passed ``scope``'s limit (the view says so and keeps the form)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.PUBLIC_MAX_BODY_BYTES:
                return render(
                    request, "public/refused.html", {"message": _("What you sent is too large.")}, status=413
                )
            request.rate_limited = request.method == "POST" and not ratelimit.allowed(request, scope)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


RATE_LIMITED = _("Too many submissions from your network. Please try again in an hour.")
