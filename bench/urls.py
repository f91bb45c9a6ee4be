"""The site's URLs plus /bench/bare/, the floor every scenario is compared with."""

from django.http import HttpResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns


def bare(request):
    """Answer a plain page: the cost of gunicorn, Django and the site's middleware alone."""
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *site_urlpatterns]
