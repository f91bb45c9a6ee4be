from django.contrib.auth import login
from django.urls import reverse_lazy
from django.views.generic import FormView

from . import services
from .forms import SignUpForm


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
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return super().form_valid(form)
