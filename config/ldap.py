"""django-auth-ldap settings from the environment (read only when LDAP_SERVER_URI is set).

A login is looked up in the directory with a search (LDAP_USER_BASE and
LDAP_USER_FILTER), then the user's own password is checked by binding as
them. The directory answers *who* someone is; *what they may do* stays in the
app (memberships of units), so no group mapping is configured. A directory
that does not answer within LDAP_TIMEOUT seconds fails the login attempt
against it, and local accounts keep working. docs/deploy.md has examples.
"""

from .env import env_bool, env_int, env_str


def ldap_settings():
    import ldap
    from django_auth_ldap.config import LDAPSearch

    timeout = env_int("LDAP_TIMEOUT", 5)
    attributes = {"last_name": env_str("LDAP_NAME_ATTR", "cn"), "email": env_str("LDAP_EMAIL_ATTR", "mail")}
    return {
        "AUTH_LDAP_SERVER_URI": env_str("LDAP_SERVER_URI"),
        "AUTH_LDAP_BIND_DN": env_str("LDAP_BIND_DN"),
        "AUTH_LDAP_BIND_PASSWORD": env_str("LDAP_BIND_PASSWORD"),
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            env_str("LDAP_USER_BASE"), ldap.SCOPE_SUBTREE, env_str("LDAP_USER_FILTER", "(uid=%(user)s)")
        ),
        "AUTH_LDAP_START_TLS": env_bool("LDAP_START_TLS", False),
        "AUTH_LDAP_USER_ATTR_MAP": {field: name for field, name in attributes.items() if name},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        # Off by default: a directory account signs in only once an administrator
        # has given it a unit (bulk provisioning with "sign in through the directory").
        "AUTH_LDAP_NO_NEW_USERS": not env_bool("LDAP_CREATE_USERS", False),
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: timeout,
            ldap.OPT_TIMEOUT: timeout,
            ldap.OPT_REFERRALS: 0,
        },
    }
