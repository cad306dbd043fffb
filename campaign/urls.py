from django.urls import path

from . import views

app_name = "campaign"

urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("units/import/", views.unit_import, name="unit_import"),
    path("units/import/template/", views.unit_import_template, name="unit_import_template"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("participations/", views.ParticipationListView.as_view(), name="participation_list"),
]
