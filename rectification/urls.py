"""Every route of the rectification app, by area; views live in rectification/views/."""

from django.urls import path

from .views import coordination, figures, instructions, ledger, notifications, operations, robots, supervision, tasks

app_name = "rectification"

urlpatterns = [
    # the staff's daily pages: my unit's tasks, the task list, one task and its steps
    path("", tasks.my_tasks, name="my_tasks"),
    path("tasks/", tasks.TaskListView.as_view(), name="task_list"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/progress/", tasks.task_add_progress, name="task_add_progress"),
    path("tasks/<int:pk>/closing/", tasks.task_request_verification, name="task_request_verification"),
    path("tasks/<int:pk>/explanation/", tasks.task_explain, name="task_explain"),
    path("tasks/<int:pk>/extension/", tasks.task_request_extension, name="task_request_extension"),
    path("problems/new/", tasks.problem_create, name="problem_create"),
    path("problems/<int:pk>/", tasks.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/tasks/new/", tasks.task_create, name="task_create"),
    path("evidence/<int:pk>/", tasks.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/thumbnail/", tasks.evidence_thumbnail, name="evidence_thumbnail"),
    path("tasks/<int:pk>/closing/decide/", tasks.task_decide_closing, name="task_decide_closing"),
    # supervision: the queue of decisions, urging, spot checks, accountability
    path("queue/", supervision.queue, name="queue"),
    path("queue/verifications/", supervision.verification_bulk, name="verification_bulk"),
    path("queue/extensions/<int:pk>/decide/", supervision.extension_decide, name="extension_decide"),
    path("queue/explanations/<int:pk>/review/", supervision.explanation_review, name="explanation_review"),
    path("tasks/<int:pk>/urge/", supervision.task_urge, name="task_urge"),
    path("spotchecks/", supervision.SpotCheckListView.as_view(), name="spotcheck_list"),
    path("spotchecks/new/", supervision.spotcheck_create, name="spotcheck_create"),
    path("spotchecks/<int:pk>/", supervision.spotcheck_detail, name="spotcheck_detail"),
    path("accountability/", supervision.AccountabilityListView.as_view(), name="accountability_list"),
    path("accountability/new/", supervision.accountability_create, name="accountability_create"),
    path("accountability/<int:pk>/document/", supervision.accountability_document, name="accountability_document"),
    # units report their figures (participation, 五查五看, indicators); the unit above follows them up
    path("figures/", figures.figures_list, name="figures_list"),
    path("figures/<int:unit_pk>/<int:batch_pk>/", figures.figures_report, name="figures_report"),
    path("figures/reports/<int:pk>/return/", figures.figures_return, name="figures_return"),
    path("figures/evidence/<int:pk>/", figures.figures_evidence, name="figures_evidence"),
    # the import of office ledgers (the ledger page and its export are read-only: reports/)
    path("ledger/import/", ledger.ledger_import, name="ledger_import"),
    path("ledger/imports/<int:pk>/", ledger.ledger_import_run, name="ledger_import_run"),
    path("ledger/template/", ledger.ledger_template, name="ledger_template"),
    # coordination with upper departments (需上级部门协调)
    path("coordination/", coordination.coordination_inbox, name="coordination_inbox"),
    path("coordination/new/", coordination.coordination_create, name="coordination_create"),
    path("coordination/<int:pk>/", coordination.coordination_detail, name="coordination_detail"),
    path("coordination/<int:pk>/reply/", coordination.coordination_reply, name="coordination_reply"),
    path("coordination/<int:pk>/resolve/", coordination.coordination_resolve, name="coordination_resolve"),
        # leaders' instructions (领导批示) and the units' answers
    path("instructions/", instructions.instruction_list, name="instruction_list"),
    path("instructions/new/", instructions.instruct, name="instruct"),
    path("instructions/<int:pk>/", instructions.instruction_detail, name="instruction_detail"),
    # notifications, the units' group-chat robots, and operations
    path("notifications/", notifications.NotificationListView.as_view(), name="notification_list"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/read-all/", notifications.notification_read_all, name="notification_read_all"),
    path("units/<int:unit_pk>/robots/", robots.robot_list, name="robot_list"),
    path("robots/<int:pk>/", robots.robot_edit, name="robot_edit"),
    path("robots/<int:pk>/delete/", robots.robot_delete, name="robot_delete"),
    path("robots/<int:pk>/test/", robots.robot_test, name="robot_test"),
    path("operations/", operations.operations, name="operations"),
    path("operations/sweep/", operations.operations_sweep, name="operations_sweep"),
    path("operations/campaigns/<int:campaign_pk>/policies/", operations.warningpolicy_edit, name="warningpolicy_edit"),
]
