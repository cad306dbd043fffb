"""The form of a unit's group-chat robot; the webhook address and the secret are never shown back."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rectification.models import ChatRobot


class ChatRobotForm(forms.ModelForm):
    webhook_url = forms.CharField(
        label=_("Webhook address"), max_length=500, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("As the group's robot settings show it, with its key or access token "
                    "(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… or https://oapi.dingtalk.com/robot/send?access_token=…)."),
    )  # fmt: skip
    secret = forms.CharField(
        label=_("Signing secret (DingTalk)"), max_length=200, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=_("The SEC… secret of a DingTalk robot whose security setting is “加签”; messages are then signed."),
    )  # fmt: skip
    remove_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)

    class Meta:
        model = ChatRobot
        fields = ["name", "platform", "webhook_url", "secret", "message_format", "include_below", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["webhook_url"] = ""  # never shown back; the page shows it masked
        if self.instance.pk:
            self.fields["webhook_url"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                "masked": self.instance.masked_url
            }
            if self.instance.secret:
                self.fields["secret"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                    "masked": self.instance.masked_secret
                }
        else:
            del self.fields["remove_secret"]

    def clean_webhook_url(self):
        value = self.cleaned_data["webhook_url"].strip()
        if not value and not self.instance.pk:
            raise forms.ValidationError(_("Give the robot's webhook address."))
        return value

    def clean_secret(self):
        return self.cleaned_data["secret"].strip()

    def _post_clean(self):
        # The model instance is changed by the service (save_chat_robot), not by the form.
        pass

    def robot_fields(self):
        """What the service needs: None keeps a stored secret or address."""
        data = self.cleaned_data
        secret = data["secret"] or None
        if data.get("remove_secret"):
            secret = ""
        return {
            "name": data["name"], "platform": data["platform"], "message_format": data["message_format"],
            "include_below": data["include_below"], "enabled": data["enabled"],
            "webhook_url": data["webhook_url"] or None, "secret": secret,
        }  # fmt: skip
