from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy
from django.views.generic import FormView, UpdateView

from . import services
from .forms import ProfileForm, SignUpForm


class SignUpView(FormView):
    template_name = "registration/signup.html"
    form_class = SignUpForm
    success_url = reverse_lazy("courseware:catalog")

    def form_valid(self, form):
        user = services.register_learner(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        login(self.request, user, backend="accounts.backends.UserBackend")
        return super().form_valid(form)


class ProfileView(LoginRequiredMixin, SuccessMessageMixin, UpdateView):
    template_name = "accounts/profile.html"
    form_class = ProfileForm
    success_url = reverse_lazy("profile")
    success_message = "Your profile is saved."

    def get_object(self, queryset=None):
        return self.request.user
