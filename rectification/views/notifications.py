"""A user's own notifications: the list, and marking them read.

Every query is filtered by ``user=request.user``: nobody sees, opens or marks
another user's notification (404, the same as a notification that does not exist).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from rectification import notify
from rectification.models import Notification


class NotificationListView(LoginRequiredMixin, ListView):
    """The user's notifications, unread first, newest first within each."""

    template_name = "rectification/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 20

    def unread_only(self):
        return self.request.GET.get("show") == "unread"

    def get_queryset(self):
        notifications = Notification.objects.filter(user=self.request.user).select_related("alert")
        if self.unread_only():
            notifications = notifications.filter(read_at__isnull=True)
        unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
        return notifications.alias(read_order=unread_first).order_by("read_order", "-created_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unread_only"] = self.unread_only()
        context["unread_count"] = Notification.objects.filter(user=self.request.user, read_at__isnull=True).count()
        context["kind_labels"] = notify.KIND_LABELS
        return context


def _next_url(request, fallback):
    """Where to go after a POST: a safe ``next`` of this site (its host as requested, or
    SITE_URL's: notices link to their task by its full address), else ``fallback``."""
    target = request.POST.get("next", "")
    hosts = {request.get_host(), urlsplit(settings.SITE_URL).netloc} - {""}
    if target and url_has_allowed_host_and_scheme(target, hosts, require_https=request.is_secure()):
        return target
    return fallback


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one notification read; then go to ``next`` (e.g. its task), or back to the list."""
    notification = get_object_or_404(Notification.objects.select_related("alert"), pk=pk, user=request.user)
    notify.mark_read(request.user, notification.pk)
    if request.htmx:
        notification.refresh_from_db(fields=["read_at"])
        context = {"notification": notification, "kind_labels": notify.KIND_LABELS}
        return render(request, "rectification/_notification.html", context)
    return redirect(_next_url(request, "rectification:notification_list"))


@login_required
@require_POST
def notification_read_all(request):
    count = notify.mark_all_read(request.user)
    if count:
        messages.success(
            request,
            ngettext("Marked %(count)d notification as read.", "Marked %(count)d notifications as read.", count)
            % {"count": count},
        )
    else:
        messages.info(request, _("There were no unread notifications."))
    return redirect(_next_url(request, "rectification:notification_list"))
