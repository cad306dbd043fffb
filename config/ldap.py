"""django-auth-ldap settings from the environment (read only when LDAP_SERVER_URI is set).

A login is looked up in the directory with a search (LDAP_USER_BASE and
LDAP_USER_FILTER, bound as LDAP_BIND_DN), then the user's own password is
checked by binding as them. The directory answers *who* someone is; *what
they may do* stays in the app (memberships of units), so no group mapping
is configured. A directory that does not answer within LDAP_TIMEOUT seconds
fails the attempt against it, and local accounts keep working.
docs/deploy.md has examples.
"""

import os

from .env import TRUE_WORDS


def ldap_settings(environ=None):
    """The AUTH_LDAP_* settings from ``environ`` (default: the process environment)."""
    import ldap
    from django_auth_ldap.config import LDAPSearch

    environ = os.environ if environ is None else environ

    def text(name, default=""):
        return environ.get(name) or default

    def flag(name, default):
        value = environ.get(name)
        return default if value in (None, "") else value.strip().lower() in TRUE_WORDS

    timeout = int(text("LDAP_TIMEOUT", "5"))
    attributes = {"last_name": text("LDAP_NAME_ATTR", "cn"), "email": text("LDAP_EMAIL_ATTR", "mail")}
    return {
        "LDAP_SERVER_URI": text("LDAP_SERVER_URI"),
        "AUTH_LDAP_SERVER_URI": text("LDAP_SERVER_URI"),
        "AUTH_LDAP_BIND_DN": text("LDAP_BIND_DN"),
        "AUTH_LDAP_BIND_PASSWORD": text("LDAP_BIND_PASSWORD"),
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            text("LDAP_USER_BASE"), ldap.SCOPE_SUBTREE, text("LDAP_USER_FILTER", "(uid=%(user)s)")
        ),
        "AUTH_LDAP_START_TLS": flag("LDAP_START_TLS", False),
        "AUTH_LDAP_USER_ATTR_MAP": {field: name for field, name in attributes.items() if name},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        # Off by default: a directory account signs in only once an administrator
        # has given it a unit (bulk provisioning with "sign in through the directory").
        "AUTH_LDAP_NO_NEW_USERS": not flag("LDAP_CREATE_USERS", False),
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: timeout,
            ldap.OPT_TIMEOUT: timeout,
            ldap.OPT_REFERRALS: 0,
        },
    }


BACKEND = "django_auth_ldap.backend.LDAPBackend"
