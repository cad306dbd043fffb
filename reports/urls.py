"""Read-only views of the work: the home page and its figures, the ledger and its export."""

from django.urls import path

from .views import dashboard, home, ledger

app_name = "reports"

urlpatterns = [
    path("", home.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/urge/", dashboard.dashboard_urge, name="dashboard_urge"),
    path("ledger/", ledger.ledger_page, name="ledger"),
    path("ledger/export/", ledger.ledger_export, name="ledger_export"),
]
