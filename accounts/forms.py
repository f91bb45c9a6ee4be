import zoneinfo
from functools import cache

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

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


@cache
def timezone_choices():
    # Listing the zones reads the whole tz database from disk; it changes only with a
    # tzdata upgrade, which restarts the process anyway.
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    """A person's name as shown to instructors, and the time zone for due dates."""

    timezone = forms.ChoiceField(
        choices=timezone_choices, help_text="Due dates and times are shown in this time zone."
    )

    class Meta:
        model = User
        fields = ["display_name", "timezone"]
        labels = {"display_name": "Your name"}


class PasswordResetForm(DjangoPasswordResetForm):
    """Password reset that also reaches accounts created without a password.

    Learners enrolled from a CSV roster or by the API start with an unusable password;
    the reset link is how they choose their first one.
    """

    def get_users(self, email):
        return User.objects.filter(email__iexact=email, is_active=True)
