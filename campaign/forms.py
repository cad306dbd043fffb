from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from campaign.importers import UnreadableFile, read_rows


class UnitImportForm(forms.Form):
    """An uploaded unit tree; once valid, ``rows`` holds its cells as read by the importer."""

    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)s."),
                code="too_large",
                params={"limit": filesizeformat(settings.IMPORT_MAX_BYTES)},
            )
        try:
            self.rows = read_rows(upload.read())
        except UnreadableFile as error:
            raise ValidationError(str(error), code="unreadable") from error
        return upload
