from .views import coordination, ledger, notifications, operations, supervision, tasks

app_name = "rectification"

urlpatterns = [
    *tasks.urlpatterns,
    *supervision.urlpatterns,
    *ledger.urlpatterns,
    *coordination.urlpatterns,
    *notifications.urlpatterns,
    *operations.urlpatterns,
]
