from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import PasswordResetForm

urlpatterns = [
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
