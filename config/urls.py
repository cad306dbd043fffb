from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from campaign.views import account as account_views
from rectification.health import healthz

admin.site.site_header = _("Campaign rectification tracker")
admin.site.site_title = _("Campaign rectification tracker")

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("account/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("campaign/", include("campaign.urls")),
    path("rectification/", include("rectification.urls")),
    path("public/", include("public.urls")),
    path("voice/", include("public.staff_urls")),
    path("admin/", admin.site.urls),
    path("", include("reports.urls")),
]
