import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _refuse_to_serve_without_a_site_url():
    """gunicorn runs no system checks: the web process checks the one that makes every
    link in a message (campaign.E001, SITE_URL in the production shape) itself, and stops."""
    from django.core.exceptions import ImproperlyConfigured

    from campaign.checks import check_site_url

    errors = check_site_url()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} ({errors[0].id}) {errors[0].hint}")


_refuse_to_serve_without_a_site_url()
