from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from campaign import provisioning
from campaign.importers import UnreadableFile, read_rows


class UnitImportForm(forms.Form):
    """An uploaded unit tree; once valid, ``rows`` holds its cells as read by the importer."""

    limits = None  # the unit importer's (campaign.importers.LIMITS)

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
            self.data_bytes = upload.read()
            self.rows = read_rows(self.data_bytes, self.limits)
        except UnreadableFile as error:
            raise ValidationError(str(error), code="unreadable") from error
        return upload


class ProvisionForm(UnitImportForm):
    """An uploaded sheet of people; with LDAP configured, the choice of how they sign in."""

    limits = provisioning.LIMITS

    file = forms.FileField(
        label=_("Spreadsheet of people (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    directory_sign_in = forms.TypedChoiceField(
        label=_("How they sign in"),
        choices=[
            ("", _("With an initial password printed on a slip, changed at the first login")),
            ("1", _("With their intranet account (directory): the login column holds it; no password here")),
        ],
        coerce=bool,
        required=False,
        widget=forms.RadioSelect,
        initial="",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not settings.LDAP_SERVER_URI:
            del self.fields["directory_sign_in"]


class DeactivateForm(forms.Form):
    """Deactivating a person (or taking a unit from them), with the replacement
    who takes over their office staff work where they are the last one."""

    replacement = forms.CharField(
        label=_("Replacement (login)"),
        required=False,
        max_length=150,
        help_text=_("Becomes office staff of the units this person is the last office staff of."),
        widget=forms.TextInput(attrs={"list": "replacement-suggestions", "autocomplete": "off"}),
    )

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates

    def clean_replacement(self):
        login = self.cleaned_data["replacement"].strip()
        if not login:
            return None
        user = self.candidates.filter(username=login).first()
        if user is None:
            raise ValidationError(
                _("No active account “%(login)s” among the people you manage."), params={"login": login}
            )
        return user
