from django import forms

from .models import Question
from .uploads import MAX_ATTACHMENT_BYTES


class KnowledgeCheckForm(forms.Form):
    """One field per question: radio buttons for single choice, checkboxes for multiple."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, question in enumerate(questions, start=1):
            choices = [(choice.pk, choice.text) for choice in question.choices.all()]
            if question.kind == Question.Kind.MULTIPLE:
                field = forms.TypedMultipleChoiceField(
                    choices=choices, coerce=int, widget=forms.CheckboxSelectMultiple
                )
            else:
                field = forms.TypedChoiceField(
                    choices=choices, coerce=int, widget=forms.RadioSelect
                )
            field.label = f"{number}. {question.prompt}"
            field.error_messages["required"] = "Choose an answer to this question."
            field.question = question
            self.fields[f"question_{question.pk}"] = field

    def answers(self) -> dict[int, set[int]]:
        """Return the chosen choice ids by question id."""
        chosen = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"question_{question.pk}")
            chosen[question.pk] = set(value) if isinstance(value, list) else {value}
        return chosen


class SubmissionForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text="Plain text; Markdown such as **bold** and lists is allowed.",
        max_length=100_000,
    )
    attachment = forms.FileField(
        required=False,
        label="Attachment (optional)",
        help_text="PDF, Word (.docx) or plain text, at most 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.txt"}),
    )
    remove_attachment = forms.BooleanField(required=False, label="Remove the attached file")
    confirm = forms.BooleanField(
        required=False,
        label="I have finished: submit this attempt for grading. I cannot change it afterwards.",
    )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload and upload.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1048576:.1f} MB; the limit is 10 MB."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.data.get("action") == "submit" and not cleaned.get("confirm"):
            self.add_error("confirm", "Tick this box to confirm that you want to submit.")
        return cleaned
