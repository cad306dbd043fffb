"""Requests per address and window for the public forms, counted in Django's cache.

Hand-written (twenty lines) rather than django-ratelimit: the view must keep the
form and say, in the visitor's language, to try again later, and the counting is
two atomic cache calls (``add`` then ``incr``), atomic on Redis (production) and
good enough on the embedded shape's file cache. A fixed window per address.
"""

import time

from django.conf import settings
from django.core.cache import caches


def client_address(request):
    """The address the request came from. Behind a proxy, REMOTE_ADDR is the proxy:
    set PUBLIC_ADDRESS_HEADER (e.g. HTTP_X_REAL_IP) to what the proxy sets."""
    header = getattr(settings, "PUBLIC_ADDRESS_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def hit(scope, address, *, cache_alias="default"):
    """Count one request of ``address`` in ``scope``; False once the scope's limit is passed."""
    limit, window = settings.PUBLIC_RATE_LIMITS[scope]
    cache = caches[cache_alias]
    key = f"public-rate:{scope}:{address}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 60)
        count = 1
    return count <= limit


def allowed(request, scope):
    return hit(scope, client_address(request))
