from django.urls import path

from . import views
from .views import exports, people

app_name = "campaign"

urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("units/import/", views.unit_import, name="unit_import"),
    path("units/import/template/", views.unit_import_template, name="unit_import_template"),
    path("units/imports/<int:pk>/", views.unit_import_run, name="unit_import_run"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("participations/", views.ParticipationListView.as_view(), name="participation_list"),
    path("people/", people.PersonListView.as_view(), name="person_list"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("people/<int:pk>/reset-password/", people.person_reset_password, name="person_reset_password"),
    path("people/<int:pk>/deactivate/", people.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/reactivate/", people.person_reactivate, name="person_reactivate"),
    path("people/<int:pk>/unlock/", people.person_unlock, name="person_unlock"),
    path("people/<int:pk>/slip.pdf", people.person_slip, name="person_slip"),
    path("memberships/<int:pk>/remove/", people.membership_remove, name="membership_remove"),
    path("people/import/", people.provision, name="provision"),
    path("people/import/template/", people.provision_template, name="provision_template"),
    path("people/imports/<int:pk>/", people.provisioning_run, name="provisioning_run"),
    path("people/imports/<int:pk>/slips.pdf", people.provisioning_slips, name="provisioning_slips"),
    path("exports/<int:pk>/", exports.export_job, name="export_job"),
    path("exports/<int:pk>/download/", exports.export_download, name="export_download"),
]
