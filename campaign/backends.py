"""Authentication backends of the project."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS.

    The login page always passes its request, so every attempt there is
    counted per login name and per address. Code that authenticates without
    a request (the test client's ``login()``, a shell) has no address to
    count and is not checked here; Axes itself would refuse it outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
