"""The public's pages: no account (mounted at /public/)."""

from django.urls import path

from .views import pages

app_name = "public"

urlpatterns = [
    path("", pages.index, name="index"),
    path("c/<int:campaign_pk>/opinion/", pages.opinion_form, name="opinion_form"),
    path("c/<int:campaign_pk>/u/<int:unit_pk>/opinion/", pages.opinion_form, name="unit_opinion_form"),
    path("c/<int:campaign_pk>/board/", pages.results_board, name="board"),
    path("receipt/<str:code>/", pages.receipt, name="receipt"),
    path("status/", pages.status_lookup, name="status_lookup"),
    path("status/<str:code>/", pages.status, name="status"),
    path("plans/<int:pk>/", pages.plan_page, name="plan"),
    path("s/<str:key>/", pages.survey, name="survey"),
]
