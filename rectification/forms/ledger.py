from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from campaign import permissions
from campaign.importers import UnreadableFile
from campaign.widgets import UnitField
from rectification.ledger import importer as ledger


class LedgerImportForm(forms.Form):
    """An uploaded ledger, its batch and the unit of rows that name none;
    once valid, ``rows`` holds the workbook's cells as the importer reads them
    and ``data_bytes`` the file (kept for a worker when it is large)."""

    batch = forms.ModelChoiceField(label=_("Batch"), queryset=None, empty_label=None)
    default_unit = UnitField(
        label=_("Default responsible unit"),
        source="edit",
        help_text=_("Used for rows whose 责任单位 cell is empty."),
    )
    file = forms.FileField(
        label=_("Ledger (.xlsx or .xls)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
                "application/vnd.ms-excel"
            }
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["batch"].queryset = ledger.visible_batches(user)
        units = ledger.editable_units(user)
        self.fields["default_unit"].queryset = units
        if not self.is_bound:
            # The user's own unit, the most specific one first (a community before its district).
            own = permissions.access(user).member_unit_ids
            first_unit = units.filter(pk__in=own).order_by("-depth", "path").first() or units.first()
            self.fields["default_unit"].initial = first_unit.pk if first_unit else None
            # The batch that unit takes part in, rather than simply the first batch.
            joined = first_unit.participations.values_list("batch", flat=True).first() if first_unit else None
            self.fields["batch"].initial = joined

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)s."),
                code="too_large",
                params={"limit": filesizeformat(settings.IMPORT_MAX_BYTES)},
            )
        try:
            self.data_bytes = upload.read()
            self.rows = ledger.read_workbook(self.data_bytes)
        except UnreadableFile as error:
            raise ValidationError(str(error), code="unreadable") from error
        return upload
