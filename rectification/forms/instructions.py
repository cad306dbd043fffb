"""Forms of the leaders' instructions (领导批示, issue 11) and of the units' answers."""

from django import forms
from django.utils.translation import gettext_lazy


class InstructionForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Instruction"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class AnswerForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("What was done (落实情况)"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=4000)  # fmt: skip


def task_instruction_form(data=None):
    """The 批示 form on a task's page: its own ids, beside the page's other "text" fields."""
    return InstructionForm(data, auto_id="instruct-%s")
