from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from campaign.scoping import is_administrator


@login_required
def unit_import(request):
    if not (request.user.is_superuser or is_administrator(request.user)):
        raise PermissionDenied
    return render(request, "campaign/unit_import.html", {})
