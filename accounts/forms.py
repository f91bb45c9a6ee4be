from django import forms
from django.contrib.auth.forms import BaseUserCreationForm

from .models import User


class SignUpForm(BaseUserCreationForm):
    """Create a learner account from an email address, a name and a password."""

    class Meta:
        model = User
        fields = ["email", "display_name"]
        labels = {"display_name": "Your name"}
        help_texts = {"display_name": "Shown to your instructors with your work."}

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email
