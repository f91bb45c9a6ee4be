from django.contrib import admin
from django.urls import include, path
from oauth2_provider.views import TokenView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("courseware.api.urls")),
    path("o/token/", TokenView.as_view(), name="oauth2-token"),
    path("lti/", include("courseware.lti.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("courseware.urls")),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
