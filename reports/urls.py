"""Read-only views of the work: the home page and its figures, the ledger and its export."""

from django.urls import path

from .views import dashboard, home, ledger, runs

app_name = "reports"

urlpatterns = [
    path("", home.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/urge/", dashboard.dashboard_urge, name="dashboard_urge"),
    path("ledger/", ledger.ledger_page, name="ledger"),
    path("ledger/export/", ledger.ledger_export, name="ledger_export"),
    path("reports/summary/", runs.summary_page, name="summary"),
    path("reports/summary/docx/", runs.summary_docx, name="summary_docx"),
    path("reports/", runs.run_list, name="runs"),
    path("reports/<int:pk>/", runs.run_detail, name="run_detail"),
    path("reports/<int:pk>/download/", runs.run_download, name="run_download"),
]
