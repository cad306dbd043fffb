from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Campaign rectification tracker")
admin.site.site_title = _("Campaign rectification tracker")

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("campaign/", include("campaign.urls")),
    path("rectification/", include("rectification.urls")),
    path("public/", include("public.urls")),
    path("voice/", include("public.staff_urls")),
    path("admin/", admin.site.urls),
    path("", include("reports.urls")),
]
