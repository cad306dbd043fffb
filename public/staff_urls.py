"""The staff's pages of the public's side (mounted at /voice/): opinions, plans, surveys, the board."""

from django.urls import path

from .views import board, opinions, plans, surveys

app_name = "public_staff"

urlpatterns = [
    path("opinions/", opinions.opinion_queue, name="opinion_queue"),
    path("opinions/<int:pk>/", opinions.opinion_detail, name="opinion_detail"),
    path("opinions/<int:pk>/accept/", opinions.opinion_accept, name="opinion_accept"),
    path("opinions/<int:pk>/merge/", opinions.opinion_merge, name="opinion_merge"),
    path("opinions/<int:pk>/forward/", opinions.opinion_forward, name="opinion_forward"),
    path("opinions/<int:pk>/decline/", opinions.opinion_decline, name="opinion_decline"),
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/start/<int:participation_pk>/", plans.plan_start, name="plan_start"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/review/", plans.plan_review, name="plan_review"),
    path("plans/<int:pk>/publish/", plans.plan_publish, name="plan_publish"),
    path("plans/<int:pk>/pdf/", plans.plan_pdf, name="plan_pdf"),
    path("surveys/", surveys.survey_list, name="survey_list"),
    path("surveys/new/", surveys.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", surveys.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/close/", surveys.survey_close, name="survey_close"),
    path("surveys/units/<int:pk>/qr.<slug:kind>", surveys.target_qr, name="target_qr"),
    path("surveys/units/<int:pk>/notice/", surveys.target_notice, name="target_notice"),
    path("surveys/units/<int:pk>/slips/", surveys.target_slips, name="target_slips"),
    path("board/", board.board_edit, name="board_edit"),
    path("board/tasks/<int:task_pk>/", board.board_mark, name="board_mark"),
]
