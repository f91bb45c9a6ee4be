"""LTI endpoints: OIDC login initiation, launch, JWKS, dynamic registration, deep linking."""

import secrets
from urllib.parse import urlencode, urlsplit

from django.conf import settings as django_settings
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lti_tool.models import LtiRegistration

from ..models import LtiLogin
from . import deep_linking, registration
from .http import PlatformError, check_url
from .keys import public_jwks
from .launch import CookiesBlocked, LaunchError, state_cookie_name, validate_launch
from .services import accept_launch, origin_of

STATE_COOKIE_SECONDS = 10 * 60
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
)
DEEP_LINKING_SESSION_KEY = "lti_deep_linking"


def _refuse(request, message: str, *, status: int = 400, return_url: str = ""):
    """Answer a refused LTI request: back to the platform if it said where, else a page."""
    if return_url:
        separator = "&" if urlsplit(return_url).query else "?"
        return HttpResponseRedirect(
            f"{return_url}{separator}{urlencode({'lti_errormsg': message})}"
        )
    return render(request, "lti/error.html", {"message": message}, status=status)


@csrf_exempt  # The platform posts here; the state and nonce protect the flow.
@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def login_initiation(request):
    """Third-party initiated login (OIDC): send the browser to the platform to sign in."""
    params = {name: (request.POST or request.GET).get(name, "") for name in LOGIN_PARAMS}
    if not (params["iss"] and params["login_hint"] and params["target_link_uri"]):
        return _refuse(request, "The login request lacks iss, login_hint or target_link_uri.")
    registrations = LtiRegistration.objects.active().filter(issuer=params["iss"])
    if params["client_id"]:
        registrations = registrations.filter(client_id=params["client_id"])
    found = list(registrations[:2])
    if len(found) != 1:
        return _refuse(request, "This platform is not registered with this tool.", status=403)
    platform = found[0]
    target = urlsplit(params["target_link_uri"])
    if target.netloc and target.netloc != request.get_host():
        return _refuse(request, "The launch points to another site.")
    try:
        auth_url = check_url(platform.auth_url, what="authorization URL")
    except PlatformError as error:
        return _refuse(request, str(error))
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    LtiLogin.objects.create(state=state, nonce=nonce, registration=platform, params=params)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": request.build_absolute_uri(reverse("lti:launch")),
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params["lti_message_hint"]:
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urlsplit(auth_url).query else "?"
    response = HttpResponseRedirect(f"{auth_url}{separator}{urlencode(query)}")
    # Binds the launch to this browser. Inside the LMS's frame it is a third-party cookie:
    # SameSite=None and Partitioned on HTTPS (see middleware.FrameCookiesMiddleware).
    response.set_cookie(
        state_cookie_name(state),
        state,
        max_age=STATE_COOKIE_SECONDS,
        path=reverse("lti:launch"),
        secure=request.is_secure(),
        httponly=True,
        samesite="None" if request.is_secure() else None,
    )
    return response


@csrf_exempt  # The platform posts the id_token here (form_post); it is verified instead.
@xframe_options_exempt
@never_cache
@require_POST
def launch(request):
    """Check the launch completely, then sign the person in and open what it points to."""
    try:
        valid = validate_launch(request)
        result = accept_launch(valid)
    except CookiesBlocked as blocked:
        retry_url = reverse("lti:login") + "?" + urlencode(blocked.login.params)
        return render(request, "lti/cookies_blocked.html", {"retry_url": retry_url}, status=403)
    except LaunchError as error:
        return _refuse(request, error.message, status=error.status, return_url=error.return_url)
    login(request, result.user, backend="accounts.backends.UserBackend")
    if result.deep_linking:
        request.session[DEEP_LINKING_SESSION_KEY] = result.deep_linking
    response = HttpResponseRedirect(result.redirect_to)
    response.delete_cookie(state_cookie_name(valid.login.state), path=reverse("lti:launch"))
    return response


@require_GET
def jwks(request):
    """The tool's public keys, for platforms checking our signatures."""
    response = JsonResponse(public_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def register(request):
    """LTI Dynamic Registration: confirm, register with the platform, close the window."""
    source = request.POST if request.method == "POST" else request.GET
    key = django_settings.LTI_REGISTRATION_KEY
    if key and not constant_time_compare(source.get("key", ""), key):
        message = "This registration link is not valid: ask for a new one."
        return _refuse(request, message, status=403)
    configuration_url = source.get("openid_configuration", "")
    registration_token = source.get("registration_token", "")
    if not configuration_url:
        return _refuse(request, "Open this page from your LMS's tool registration screen.")
    try:
        configuration = registration.read_platform_configuration(configuration_url)
        if request.method == "GET":
            return render(
                request,
                "lti/register.html",
                {
                    "configuration": configuration,
                    "registration_token": registration_token,
                    "tool": registration.tool_registration(request),
                },
            )
        saved = registration.register(
            request, configuration=configuration, registration_token=registration_token
        )
    except registration.RegistrationError as error:
        return _refuse(request, str(error))
    return render(request, "lti/registered.html", {"registration": saved})


@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def deep_link(request):
    """The picker an instructor sees on a deep-linking launch, and the signed answer."""
    settings = request.session.get(DEEP_LINKING_SESSION_KEY)
    if not settings or not request.user.is_authenticated:
        raise PermissionDenied("Open this page from your LMS's 'add activity' screen.")
    choices = deep_linking.choices(settings)
    if request.method == "POST":
        form = deep_linking.PickerForm(request.POST, choices=choices)
        if form.is_valid():
            answer = deep_linking.response(request, settings, form.cleaned_data["items"])
            del request.session[DEEP_LINKING_SESSION_KEY]
            response = render(request, "lti/deep_link_return.html", answer)
            # The answer is a form posted to the platform: our CSP must allow that target.
            response._csp_update = {"form-action": [origin_of(answer["return_url"])]}
            return response
    else:
        form = deep_linking.PickerForm(choices=choices)
    return render(request, "lti/deep_link.html", {"form": form})
