"""Who may call what: every URL of the project, for every role and every method it accepts.

The routes come from the URL resolver (admin's and the API router's included), so a new URL
cannot be forgotten: a route without written expectations fails
`test_every_route_has_written_expectations`, and its matrix cells fail too. URL parameters
name the world's objects of cohort A and its learner (see conftest.py).

Roles: anonymous; a learner of cohort A and one of cohort B (both enrolled in the course);
an instructor of cohort A and one of cohort B; Staff; a superuser; and API clients granted
cohort A: without a token, with a token carrying no scope, one per scope, and one with every
scope. Bearer tokens are read by the API and the token endpoint only, so elsewhere the
clients are represented by the strongest token (`client_every_scope`), `client_without_token`
being the anonymous request itself; the admin lets in no one who is not staff, whatever
their cohort, so `other_learner` is left out there.

Expected answers are a status code, a redirect (`LOGIN`, `ADMIN_LOGIN`, `ADMIN_INDEX`), or a
small set of them. A plain 302 means a redirect anywhere but to a login page. POSTs carry an
empty body (an admin delete page gets its confirmation, `post=yes`, without which it deletes
nothing): the point is the authorization outcome, so a 400 for a permitted role is written
as such. The answers are what the app should do: a cell the app gets wrong fails until the
app is fixed, never the other way round.

After the matrix: guessing another learner's ids (learner pages, the API, the admin and its
actions) finds nothing, answered exactly as for an id that does not exist; and Staff, who
manage accounts, cannot raise their own rights.
"""

import dataclasses
import importlib
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

from accounts import roles

from .conftest import CLIENT_ROLES, ROLES, SESSION_ROLES, TOKEN_ROLES

# --- Expected answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """A 302 to this address (`exact`) or to an address starting with it."""

    to: str
    exact: bool = False

    def __repr__(self):
        return f"302 to {self.to}{'' if self.exact else '…'}"


LOGIN = Redirect(f"{reverse('login')}?next=")
ADMIN_LOGIN = Redirect(f"{reverse('admin:login')}?next=")
# Where Django admin sends "<object> with ID … doesn't exist", and non-staff who log out.
ADMIN_INDEX = Redirect(reverse("admin:index"), exact=True)
LOGIN_PAGES = (LOGIN, ADMIN_LOGIN)
# Marks a route no request can reach: an earlier route takes every URL it would match.
SHADOWED = "shadowed"


def answers(expected, response) -> bool:
    """Return whether the response is the expected answer (or one of a set of them)."""
    if isinstance(expected, frozenset):
        return any(answers(each, response) for each in expected)
    location = response.get("Location", "")
    if isinstance(expected, Redirect):
        if response.status_code != 302:
            return False
        return location == expected.to if expected.exact else location.startswith(expected.to)
    if expected == 302:
        return response.status_code == 302 and not any(
            location.startswith(page.to) for page in LOGIN_PAGES
        )
    return response.status_code == expected


def one_of(*answers_):
    return frozenset(answers_)


# --- Roles ----------------------------------------------------------------------------------

GROUPS = {
    "everyone": ROLES,
    # Nobody signed in. On pages and in the admin a bearer token counts for nothing.
    "sessionless": ("anonymous", *CLIENT_ROLES),
    "signed_in": SESSION_ROLES,
    "learners": ("learner", "other_learner"),
    "instructors": ("instructor", "other_instructor"),
    # is_staff: may enter the admin and use the browsable API.
    "staff_users": ("instructor", "other_instructor", "staff", "superuser"),
    # See every cohort (accounts.roles.sees_every_cohort).
    "course_staff": ("staff", "superuser"),
    "tokens": TOKEN_ROLES,
}
NOT_ADMIN = ("anonymous", *CLIENT_ROLES, "learner", "other_learner")


def expect(**spec) -> dict:
    """Map every role to its expected answer: groups or roles, later keys override earlier."""
    table = {}
    for who, answer in spec.items():
        for role in GROUPS.get(who, (who,)):
            assert role in ROLES, f"unknown role {role}"
            table[role] = answer
    missing = set(ROLES) - set(table)
    assert not missing, f"no expectation for {sorted(missing)}"
    return table


def page(answer):
    """The same answer for everyone."""
    return expect(everyone=answer)


def signed_in(answer):
    """A page behind login_required: signed-in users get `answer`."""
    return expect(sessionless=LOGIN, signed_in=answer)


def admin_page(staff_users, **roles_):
    """An admin page: non-staff go to the admin's login; staff users get their answers."""
    return expect(sessionless=ADMIN_LOGIN, learners=ADMIN_LOGIN, staff_users=staff_users, **roles_)


def api(scope, answer, **roles_):
    """An API call needing `scope`: `answer` for staff sessions and tokens carrying it.

    Learners' sessions are refused (403); a token without the scope is refused (403); no
    credentials at all is a 401. Staff sessions see only the cohorts they teach.
    """
    return expect(
        sessionless=401,
        tokens=403,
        learners=403,
        staff_users=answer,
        client_every_scope=answer,
        **{f"client_{scope}": answer},
        **roles_,
    )


# --- Routes from the resolver ---------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, e.g. "admin/courseware/grade/<path:object_id>/change/"
    name: str | None  # namespaced, e.g. "admin:courseware_grade_change"
    kwargs: tuple[str, ...]
    positional: int
    callback: object = field(repr=False)
    key: str = ""


def _parameters(pattern):
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters), 0
    regex = pattern.regex
    return tuple(regex.groupindex), regex.groups - len(regex.groupindex)


def _walk(patterns, prefix="", namespace=None, kwargs=(), positional=0):
    for pattern in patterns:
        names, count = _parameters(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                inner,
                kwargs + names,
                positional + count,
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(
                prefix + str(pattern.pattern),
                name,
                kwargs + names,
                positional + count,
                pattern.callback,
            )


def project_routes() -> list[Route]:
    """Every route of the project, each with a unique key naming it in the tables below."""
    routes = list(_walk(get_resolver().url_patterns))
    names = {}
    for route in routes:
        if "format" not in route.kwargs:
            names[route.name] = names.get(route.name, 0) + 1
    keyed, seen = [], set()
    for route in routes:
        if route.name is None:
            key = route.route
        elif "format" in route.kwargs:
            key = f"{route.name}.json"
        elif names[route.name] > 1:
            key = f"{route.name} @ {route.route}"
        else:
            key = route.name
        while key in seen:  # the same name and route twice: number the later ones
            key += " (again)"
        seen.add(key)
        keyed.append(dataclasses.replace(route, key=key))
    return keyed


ROUTES = project_routes()


# --- The expectations, route by route ---------------------------------------------------------

LEARNER_PAGES = {
    "courseware:catalog": {"GET": page(200), "POST": page(405)},
    "courseware:dashboard": {"GET": signed_in(200), "POST": signed_in(405)},
    "courseware:course-detail": {"GET": page(200), "POST": page(200)},
    "courseware:enroll": {"GET": signed_in(405), "POST": signed_in(302)},
    "courseware:search": {"GET": page(200), "POST": page(200)},
    # Not enrolled (instructors, staff): sent to the course page to enroll.
    "courseware:grades": {
        method: expect(sessionless=LOGIN, learners=200, staff_users=302)
        for method in ("GET", "POST")
    },
    # Learners of either cohort are enrolled in the course; staff users read as a preview;
    # visitors get the invitation to enroll (403).
    "courseware:lesson-detail": {
        method: expect(sessionless=403, signed_in=200) for method in ("GET", "POST")
    },
    "courseware:lesson-complete": {"GET": signed_in(405), "POST": signed_in(302)},
    "courseware:lesson-check": {
        "GET": signed_in(405),
        # An empty answer sheet is a 400 for the enrolled; the rest are sent to enroll.
        "POST": expect(sessionless=LOGIN, learners=400, staff_users=302),
    },
    "courseware:assignment-detail": {
        "GET": expect(sessionless=403, signed_in=200),
        # Staff users read a preview and cannot hand in.
        "POST": expect(sessionless=403, learners=400, staff_users=200),
    },
    # 404, not 403, for anyone but the owner and the cohort's teachers.
    "courseware:submission-attachment": {
        method: expect(
            sessionless=LOGIN,
            learner=200,
            other_learner=404,
            instructor=200,
            other_instructor=404,
            course_staff=200,
        )
        for method in ("GET", "POST")
    },
}

ACCOUNT_PAGES = {
    "signup": {"GET": page(200), "POST": page(200)},
    "profile": {"GET": signed_in(200), "POST": signed_in(200)},
    "password_reset @ accounts/password_reset/": {"GET": page(200), "POST": page(200)},
    "login": {"GET": page(200), "POST": page(200)},
    "logout": {"GET": page(405), "POST": page(302)},
    "password_change": {"GET": signed_in(200), "POST": signed_in(200)},
    "password_change_done": {"GET": signed_in(200), "POST": signed_in(405)},
    "password_reset_done": {"GET": page(200), "POST": page(405)},
    # A valid link for learner A: everyone is sent on to the set-password form.
    "password_reset_confirm": {"GET": page(302), "POST": page(302)},
    "password_reset_complete": {"GET": page(200), "POST": page(405)},
}

PROTOCOL_ENDPOINTS = {
    "oauth2-token": {"GET": page(405), "POST": page(400)},
    "lti:login": {"GET": page(400), "POST": page(400)},
    "lti:launch": {"GET": page(405), "POST": page(400)},
    "lti:jwks": {"GET": page(200), "POST": page(405)},
    "lti:register": {"GET": page(400), "POST": page(400)},
    # Only after a deep-linking launch, which nobody here made.
    "lti:deep-link": {"GET": page(403), "POST": page(403)},
}


def _read_only(scope, *, hidden=None):
    """A read-only resource of the API: list and detail.

    `hidden` is what the other cohort's instructor gets for cohort A's row.
    """
    extra = {} if hidden is None else {"other_instructor": hidden}
    return {
        "list": {"GET": api(scope, 200), "POST": api(scope, 405)},
        "detail": {"GET": api(scope, 200, **extra), "DELETE": api(scope, 405)},
    }


def _api_routes():
    resources = {
        "course": _read_only("courses:read"),
        "lesson": _read_only("courses:read"),
        "cohort": _read_only("courses:read", hidden=404),
        "assignment": _read_only("courses:read"),
        "submission": _read_only("grades:read", hidden=404),
        "grade": _read_only("grades:read", hidden=404),
        "check-result": _read_only("progress:read", hidden=404),
        "user": {
            "list": {"GET": api("users:read", 200), "POST": api("users:write", 400)},
            "detail": {
                "GET": api("users:read", 200, other_instructor=404),
                "DELETE": api("users:write", 405),
            },
        },
        "enrollment": {
            "list": {"GET": api("enrollments:read", 200), "POST": api("enrollments:write", 400)},
            "detail": {
                "GET": api("enrollments:read", 200, other_instructor=404),
                "DELETE": api("enrollments:write", 204, other_instructor=404),
            },
            # Methods an action does not map fall back to the view's read or write scope.
            "bulk": {"GET": api("enrollments:read", 405), "POST": api("enrollments:write", 400)},
            "progress": {
                "GET": api("progress:read", 200, other_instructor=404),
                "POST": api("enrollments:write", 405),
            },
        },
    }
    resources["cohort"]["progress"] = {
        "GET": api("progress:read", 200, other_instructor=404),
        "POST": api("courses:read", 405),
    }
    table = {}
    for basename, routes in resources.items():
        for suffix, methods in routes.items():
            table[f"api:{basename}-{suffix}"] = methods
    # Any caller the API knows may read the list of endpoints.
    table["api:api-root"] = {
        "GET": expect(sessionless=401, tokens=200, learners=403, staff_users=200),
        "POST": expect(sessionless=401, tokens=405, learners=403, staff_users=405),
    }
    # The schema and its docs are public, as the README says.
    table["api:schema"] = {"GET": page(200), "POST": page(405)}
    table["api:docs"] = {"GET": page(200), "POST": page(405)}
    return table


API_ROUTES = _api_routes()

# The admin site's own pages.
ADMIN_SITE = {
    "admin:index": {"GET": admin_page(200), "POST": admin_page(200)},
    "admin:login": {
        "GET": expect(sessionless=200, learners=200, staff_users=ADMIN_INDEX),
        "POST": page(200),
    },
    "admin:logout": {
        "GET": expect(sessionless=ADMIN_INDEX, learners=ADMIN_INDEX, staff_users=405),
        "POST": expect(sessionless=ADMIN_INDEX, learners=ADMIN_INDEX, staff_users=302),
    },
    "admin:password_change": {"GET": admin_page(200), "POST": admin_page(200)},
    "admin:password_change_done": {"GET": admin_page(200), "POST": admin_page(405)},
    # Without app, model and field the autocomplete refuses.
    "admin:autocomplete": {"GET": admin_page(403), "POST": admin_page(405)},
    "admin:jsi18n": {"GET": admin_page(200), "POST": admin_page(405)},
    # The course's "view on site" link.
    "admin:view_on_site": {"GET": admin_page(302), "POST": admin_page(302)},
    # The courseware app's index: instructors and staff hold permissions in it.
    "admin:app_list": {"GET": admin_page(200), "POST": admin_page(200)},
    "admin/(?P<url>.*)$": {"GET": admin_page(404), "POST": admin_page(404)},
}

# --- The admin's model pages, generated from the role permissions ------------------------------


@dataclass(frozen=True)
class AdminRules:
    """How one ModelAdmin departs from "the permission decides, and every row is visible"."""

    # Rows limited to the cohorts the user teaches: the other cohort's instructor never
    # finds cohort A's object.
    scoped: bool = False
    # integrations.admin.CourseStaffOnly: Staff and superusers, whatever their permissions.
    course_staff_only: bool = False
    # Refused to everyone, superusers included: "add", "change", "delete", or "change_object"
    # (the changelist's actions may change rows; one row's page never saves).
    refused: frozenset = frozenset()
    # Roles whose delete confirmation is refused: deleting would also delete rows that nobody
    # may delete in the admin (a learner's handed-in work, deliveries) or that they may not.
    delete_blocked_for: tuple = ()
    # Enrollments and submissions protect their cohort: the confirmation shows the page that
    # says so (200), for whoever may delete.
    delete_protected: bool = False
    # Every field is read-only: an empty change form is valid, and saving it redirects.
    empty_form_saves: bool = False
    # Hand-written cells: {view: {method: expect(...)}} for overridden views.
    views: dict = field(default_factory=dict)


ALL_ACTIONS = frozenset({"add", "change", "delete", "view"})


# The groups' permissions: accounts.roles' lists, and what migration 0004 granted on top of
# them (grading for both groups; assessment content for Staff).
_grading = importlib.import_module("courseware.migrations.0004_instructor_grading_permissions")
GROUP_PERMISSIONS = {
    "instructor": {
        **roles.INSTRUCTOR_PERMISSIONS,
        "courseware": [*roles.INSTRUCTOR_PERMISSIONS["courseware"], *_grading.CODENAMES],
    },
    "staff": {
        **roles.STAFF_PERMISSIONS,
        "courseware": [*roles.STAFF_PERMISSIONS["courseware"], *_grading.STAFF_CODENAMES],
    },
}
GROUP_PERMISSIONS["other_instructor"] = GROUP_PERMISSIONS["instructor"]


def _granted(permissions: dict, app_label: str, model_name: str) -> frozenset:
    codenames = permissions.get(app_label, [])
    return frozenset(action for action in ALL_ACTIONS if f"{action}_{model_name}" in codenames)


def admin_permissions(role, app_label, model_name, rules) -> frozenset:
    """Actions the role holds on the model, from the groups' permission lists."""
    if rules.course_staff_only:
        held = ALL_ACTIONS if role in GROUPS["course_staff"] else frozenset()
    elif role == "superuser":
        held = ALL_ACTIONS
    else:
        held = _granted(GROUP_PERMISSIONS[role], app_label, model_name)
    return held - rules.refused


def _model_cell(rules, app_label, model_name, view, method, role):
    """What Django admin answers a staff user, given their permissions and the object's scope."""
    held = admin_permissions(role, app_label, model_name, rules)
    found = not (rules.scoped and role == "other_instructor")
    sees = bool(held & {"view", "change"})
    if view == "changelist":
        return 200 if sees else 403
    if view == "add":
        return 200 if "add" in held else 403
    if view == "change":
        if method == "GET":
            return (200 if found else ADMIN_INDEX) if sees else 403
        if "change" not in held:
            return 403
        if not found:
            return ADMIN_INDEX
        if "change_object" in rules.refused:
            return 403
        return 302 if rules.empty_form_saves else 200
    if view == "delete":
        if "delete" not in held:
            return 403
        if not found:
            return ADMIN_INDEX
        if method == "GET" or rules.delete_protected:
            return 200
        return 403 if role in rules.delete_blocked_for else 302
    if view == "history":
        if not found:
            return ADMIN_INDEX
        return 200 if sees else 403
    if view == "redirect":  # "<object_id>/" only redirects to "<object_id>/change/"
        return 302
    raise AssertionError(view)


# Each model page and the methods tried on it. The changelist's empty POST only shows the
# list again, as history and the "<object_id>/" redirect answer any method as GET.
MODEL_VIEWS = {
    "changelist": ("admin/{app}/{model}/", ("GET",)),
    "add": ("admin/{app}/{model}/add/", ("GET", "POST")),
    "history": ("admin/{app}/{model}/<path:object_id>/history/", ("GET",)),
    "delete": ("admin/{app}/{model}/<path:object_id>/delete/", ("GET", "POST")),
    "change": ("admin/{app}/{model}/<path:object_id>/change/", ("GET", "POST")),
    "redirect": ("admin/{app}/{model}/<path:object_id>/", ("GET",)),
}

# The cohort's instructors and course staff grade; another cohort's instructor gets a 404.
GRADING = {"other_instructor": 404}

ADMIN_MODELS = {
    "auth.group": AdminRules(),
    "django_tasks_database.dbtaskresult": AdminRules(
        refused=frozenset({"add", "change", "delete"})
    ),
    "accounts.user": AdminRules(delete_blocked_for=("superuser",)),
    "courseware.cohort": AdminRules(
        scoped=True,
        delete_protected=True,
        views={
            # Not another instructor's cohort, nor whether it exists: answered as for no
            # cohort at all.
            "history": {"GET": admin_page(200, other_instructor=one_of(404, ADMIN_INDEX))},
        },
    ),
    "courseware.enrollment": AdminRules(
        scoped=True,
        refused=frozenset({"change_object"}),
        views={
            # 404 for another cohort's learners, rather than simple_history's fallback.
            "history": {"GET": admin_page(200, other_instructor=404)},
        },
    ),
    "courseware.lessonprogress": AdminRules(scoped=True, refused=frozenset({"add", "change"})),
    "courseware.course": AdminRules(delete_protected=True),
    "courseware.module": AdminRules(delete_blocked_for=("staff",)),
    "courseware.lesson": AdminRules(delete_blocked_for=("staff",)),
    "courseware.question": AdminRules(),
    "courseware.assignment": AdminRules(delete_blocked_for=("staff", "superuser")),
    "courseware.rubriccriterion": AdminRules(),
    "courseware.submission": AdminRules(
        scoped=True,
        refused=frozenset({"add", "delete"}),
        views={
            # The change page is the grading page: a redirect, whatever the id.
            "change": {"GET": admin_page(302), "POST": admin_page(302)},
        },
    ),
    "courseware.grade": AdminRules(
        scoped=True,
        refused=frozenset({"add", "delete"}),
        views={
            # To the submission's grading page.
            "change": {method: admin_page(302, other_instructor=404) for method in ("GET", "POST")},
            "history": {"GET": admin_page(200, **GRADING)},
        },
    ),
    "lti_tool.ltiregistration": AdminRules(),
    "courseware.scorepost": AdminRules(refused=frozenset({"add", "change"})),
    "integrations.apiclient": AdminRules(
        course_staff_only=True, delete_blocked_for=("staff", "superuser")
    ),
    "integrations.delivery": AdminRules(
        course_staff_only=True, refused=frozenset({"add", "change", "delete"})
    ),
    # django-axes' sign-in records: superusers only.
    "axes.accessattempt": AdminRules(refused=frozenset({"add"}), empty_form_saves=True),
    "axes.accessfailurelog": AdminRules(refused=frozenset({"add"}), empty_form_saves=True),
    "axes.accesslog": AdminRules(refused=frozenset({"add"}), empty_form_saves=True),
}


def _model_routes():
    table = {}
    for label, rules in ADMIN_MODELS.items():
        app_label, model_name = label.split(".")
        for view, (template, methods) in MODEL_VIEWS.items():
            route = template.format(app=app_label, model=model_name)
            key = route if view == "redirect" else f"admin:{app_label}_{model_name}_{view}"
            table[key] = rules.views.get(view) or {
                method: expect(
                    **{role: ADMIN_LOGIN for role in NOT_ADMIN},
                    **{
                        role: _model_cell(rules, app_label, model_name, view, method, role)
                        for role in GROUPS["staff_users"]
                    },
                )
                for method in methods
            }
    return table


# The admin's own views beside the model pages.
ADMIN_CUSTOM = {
    # Staff add courses; instructors are sent back to the course list.
    "admin:courseware_course_import": {
        method: admin_page(302, course_staff=200) for method in ("GET", "POST")
    },
    "admin:courseware_cohort_enroll_csv": {
        method: admin_page(200, other_instructor=404) for method in ("GET", "POST")
    },
    # An enrollment's past version may be read; reverting it is refused to everyone.
    "admin:courseware_enrollment_simple_history": {
        "GET": admin_page(200, other_instructor=404),
        "POST": admin_page(403),
    },
    "admin:courseware_grade_simple_history": {
        "GET": admin_page(200, **GRADING),
        "POST": admin_page(403, **GRADING),
    },
    # A cohort's past version. Reverting is the course staff's (CohortForm rejects an
    # empty revert: 200); its instructor may only read it.
    "admin:courseware_cohort_simple_history": {
        "GET": admin_page(200, other_instructor=404),
        "POST": admin_page(200, instructor=403, other_instructor=404),
    },
    "admin:accounts_user_simple_history": {
        method: admin_page(403, course_staff=200) for method in ("GET", "POST")
    },
    "admin:lti_tool_ltiregistration_simple_history": {
        method: admin_page(403, superuser=200) for method in ("GET", "POST")
    },
    "admin:integrations_apiclient_simple_history": {
        method: admin_page(403, course_staff=200) for method in ("GET", "POST")
    },
    "admin:auth_user_password_change": {
        method: admin_page(403, course_staff=200) for method in ("GET", "POST")
    },
    "admin:courseware_submission_grade": {
        method: admin_page(200, **GRADING) for method in ("GET", "POST")
    },
    "admin:courseware_grades_release": {"GET": admin_page(405), "POST": admin_page(302, **GRADING)},
    "admin:courseware_gradebook": {
        method: admin_page(200, **GRADING) for method in ("GET", "POST")
    },
    "admin:courseware_gradebook_csv": {
        method: admin_page(200, **GRADING) for method in ("GET", "POST")
    },
}

EXPECTATIONS = {
    **LEARNER_PAGES,
    **ACCOUNT_PAGES,
    # django.contrib.auth.urls' own password_reset, behind the one with our form.
    "password_reset @ accounts/password_reset/ (again)": SHADOWED,
    **PROTOCOL_ENDPOINTS,
    **API_ROUTES,
    **ADMIN_SITE,
    **_model_routes(),
    **ADMIN_CUSTOM,
}


# --- URLs for the routes, from the world's objects of cohort A --------------------------------

ADMIN_OBJECTS = {
    "auth.group": lambda world: world.learners_group,
    "django_tasks_database.dbtaskresult": lambda world: world.task_result,
    "accounts.user": lambda world: world.ours.learner,
    "courseware.cohort": lambda world: world.cohort,
    "courseware.enrollment": lambda world: world.ours.enrollment,
    "courseware.lessonprogress": lambda world: world.ours.progress,
    "courseware.course": lambda world: world.course,
    "courseware.module": lambda world: world.module,
    "courseware.lesson": lambda world: world.lesson,
    "courseware.question": lambda world: world.question,
    "courseware.assignment": lambda world: world.assignment,
    "courseware.rubriccriterion": lambda world: world.criterion,
    "courseware.submission": lambda world: world.ours.submission,
    "courseware.grade": lambda world: world.ours.grade,
    "lti_tool.ltiregistration": lambda world: world.registration,
    "courseware.scorepost": lambda world: world.score_post,
    "integrations.apiclient": lambda world: world.api_client,
    "integrations.delivery": lambda world: world.delivery,
    "axes.accessattempt": lambda world: world.access_attempt,
    "axes.accessfailurelog": lambda world: world.access_failure,
    "axes.accesslog": lambda world: world.access_log,
}
API_OBJECTS = {
    "course": lambda world: world.course.slug,
    "lesson": lambda world: world.lesson.pk,
    "cohort": lambda world: world.cohort.pk,
    "user": lambda world: world.ours.learner.pk,
    "enrollment": lambda world: world.ours.enrollment.pk,
    "assignment": lambda world: world.assignment.pk,
    "submission": lambda world: world.ours.submission.pk,
    "grade": lambda world: world.ours.grade.pk,
    "check-result": lambda world: world.ours.check.pk,
}
NO_SUCH = "no-such-thing"


def _admin_model_label(route):
    parts = route.route.split("/")
    return f"{parts[1]}.{parts[2]}" if len(parts) > 3 else None


def _object_id(label, world):
    return ADMIN_OBJECTS[label](world).pk


def url_for(route, world) -> str:
    """Build the route's URL with reverse(), filling its parameters from cohort A's objects."""
    label = _admin_model_label(route) if route.route.startswith("admin/") else None
    if route.route == "admin/(?P<url>.*)$":
        return reverse("admin:index") + "no-such-page/"
    if route.name is None:  # admin's "<object_id>/", which redirects to "<object_id>/change/"
        app_label, model_name = label.split(".")
        return (
            reverse(f"admin:{app_label}_{model_name}_changelist") + f"{_object_id(label, world)}/"
        )
    if route.positional:  # simple_history's "<object_id>/history/<history_id>/"
        record = world.history[label]
        return reverse(route.name, args=[record.instance.pk, record.history_id])

    def value(parameter):
        if parameter == "object_id":
            if route.name == "admin:view_on_site":
                return world.course.pk
            return _object_id(label, world)
        if route.name.startswith("api:") and parameter in ("pk", "slug"):
            basename = route.name.removeprefix("api:").rsplit("-", 1)[0]
            return API_OBJECTS[basename](world)
        simple = {
            "course_slug": world.course.slug,
            "lesson_slug": world.lesson.slug,
            "assignment_slug": world.assignment.slug,
            "pk": world.ours.submission.pk,  # courseware:submission-attachment
            "uidb64": world.reset["uidb64"],
            "token": world.reset["token"],
            "format": "json",
            "id": world.ours.learner.pk,  # admin:auth_user_password_change
            "content_type_id": ContentType.objects.get_for_model(world.course).pk,
            "app_label": "courseware",
            "submission_id": world.ours.submission.pk,
            "cohort_id": world.cohort.pk,
            "assignment_id": world.assignment.pk,
            "queue_index": 0,
            "scheduler_index": 0,
            "connection_index": 0,
        }
        # Anything else (Django-RQ's jobs, results, workers, schedulers) names nothing.
        return simple.get(parameter, NO_SUCH)

    return reverse(route.name, kwargs={name: value(name) for name in route.kwargs})


# --- The tests ----------------------------------------------------------------------------

ROUTES_BY_KEY = {route.key: route for route in ROUTES}


PAGE_ROLES = tuple(role for role in ROLES if role not in CLIENT_ROLES) + ("client_every_scope",)
ADMIN_ROLES = tuple(role for role in PAGE_ROLES if role != "other_learner")


def roles_for(route):
    if route.name in ("api:schema", "api:docs"):  # public, whoever asks
        return PAGE_ROLES
    if route.route.startswith(("api/", "o/")):
        return ROLES
    return ADMIN_ROLES if route.route.startswith("admin/") else PAGE_ROLES


def _cases():
    cases = []
    for route in ROUTES:
        methods = EXPECTATIONS.get(route.key, {"GET": None})
        if methods == SHADOWED:
            continue
        for method in methods:
            for role in roles_for(route):
                cases.append(
                    pytest.param(route.key, method, role, id=f"{route.key}|{method}|{role}")
                )
    return cases


def test_every_route_has_written_expectations():
    """A new URL fails here until its expected answers are written down."""
    keys = [route.key for route in ROUTES]
    assert len(keys) == len(set(keys))
    missing = sorted(set(keys) - EXPECTATIONS.keys())
    stale = sorted(EXPECTATIONS.keys() - set(keys))
    assert (missing, stale) == ([], [])


def test_every_registered_model_admin_has_rules():
    """A newly registered ModelAdmin needs its rules (and objects) written down."""
    registered = {
        f"{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry
    }
    assert registered == set(ADMIN_MODELS)
    assert registered == set(ADMIN_OBJECTS)


@pytest.mark.parametrize("key", [route.key for route in ROUTES])
def test_each_url_reaches_its_route(world, db, key):
    """The URL built for a route resolves to that route, unless it is written as shadowed."""
    route = ROUTES_BY_KEY[key]
    reached = resolve(url_for(route, world)).func is route.callback
    assert reached is (EXPECTATIONS.get(key) != SHADOWED)


@pytest.mark.parametrize(("key", "method", "role"), _cases())
def test_authorization_matrix(as_role, world, key, method, role):
    """The role gets the answer written for this route and method."""
    route = ROUTES_BY_KEY[key]
    assert key in EXPECTATIONS, f"no expected answers written for {route.route}"
    expected = EXPECTATIONS[key][method][role]
    url = url_for(route, world)
    # An admin delete page deletes only once confirmed; an empty POST shows it again.
    data = {"post": "yes"} if route.key.endswith("_delete") and method == "POST" else None
    response = as_role(role, method, url, data=data, json=url.startswith("/api/"))
    got = response.status_code
    location = response.get("Location", "")
    assert answers(expected, response), (
        f"{method} {url} as {role}: expected {expected!r}, got {got} {location}".strip()
    )


# --- Guessing another learner's ids: found nowhere, as if it did not exist -------------------

MISSING = 987654321  # an id no row has


def _same_answer(hidden, missing):
    """Return the parts of two responses a guesser could tell apart."""
    return (hidden.status_code, hidden.get("Location")) == (
        missing.status_code,
        missing.get("Location"),
    )


def test_learner_guessing_another_learners_attachment_gets_404(world, as_role):
    url = reverse("courseware:submission-attachment", args=[world.ours.submission.pk])
    hidden = as_role("other_learner", "GET", url)
    missing = as_role(
        "other_learner", "GET", reverse("courseware:submission-attachment", args=[MISSING])
    )
    assert (hidden.status_code, missing.status_code) == (404, 404)


def test_instructor_of_another_cohort_guessing_an_attachment_gets_404(world, as_role):
    url = reverse("courseware:submission-attachment", args=[world.ours.submission.pk])
    assert as_role("other_instructor", "GET", url).status_code == 404


def test_the_cohorts_instructor_gets_404_for_a_drafts_attachment(world, as_role):
    """A draft is the learner's own until handed in, even to their instructor."""
    from django.core.files.base import ContentFile

    from ..factories import SubmissionFactory

    draft = SubmissionFactory(
        assignment=world.assignment,
        learner=world.ours.learner,
        cohort=world.cohort,
        attempt=2,
        status="draft",
        submitted_at=None,
    )
    draft.attachment.save("draft.txt", ContentFile(b"Not yet."), save=True)
    url = reverse("courseware:submission-attachment", args=[draft.pk])
    assert as_role("instructor", "GET", url).status_code == 404
    assert as_role("learner", "GET", url).status_code == 200


def test_another_learners_check_attempt_id_shows_no_results(world, as_role):
    """The lesson page's ?attempt= shows only the reader's own knowledge-check results."""
    url = f"{world.lesson.get_absolute_url()}?attempt={world.ours.check.pk}"
    response = as_role("other_learner", "GET", url)
    assert response.status_code == 200
    assert response.context["check_attempt"] is None
    own = as_role("learner", "GET", url)
    assert own.context["check_attempt"] == world.ours.check


API_GUESSES = {
    "submission": ("api:submission-detail", lambda world: world.ours.submission.pk),
    "grade": ("api:grade-detail", lambda world: world.ours.grade.pk),
    "enrollment": ("api:enrollment-detail", lambda world: world.ours.enrollment.pk),
    "progress": ("api:enrollment-progress", lambda world: world.ours.enrollment.pk),
    "check result": ("api:check-result-detail", lambda world: world.ours.check.pk),
    "learner": ("api:user-detail", lambda world: world.ours.learner.pk),
    "cohort": ("api:cohort-detail", lambda world: world.cohort.pk),
    "cohort progress": ("api:cohort-progress", lambda world: world.cohort.pk),
}


def _problem(response):
    body = response.json()
    return response.status_code, body["title"], body.get("detail")


@pytest.mark.parametrize("what", API_GUESSES)
@pytest.mark.parametrize("role", ["rival_client", "other_instructor"])
def test_api_caller_of_another_cohort_guessing_an_id_gets_404(world, as_role, what, role):
    """The same 404 as for an id that does not exist: nothing tells the row is there."""
    name, pk = API_GUESSES[what]
    hidden = as_role(role, "GET", reverse(name, args=[pk(world)]))
    missing = as_role(role, "GET", reverse(name, args=[MISSING]))
    assert hidden.status_code == 404
    assert _problem(hidden) == _problem(missing)


def test_api_client_of_another_cohort_cannot_drop_a_guessed_enrollment(world, as_role):
    url = reverse("api:enrollment-detail", args=[world.ours.enrollment.pk])
    response = as_role("rival_client", "DELETE", url, json=True)
    assert response.status_code == 404
    world.ours.enrollment.refresh_from_db()
    assert world.ours.enrollment.status != "dropped"
    assert as_role("client_every_scope", "DELETE", url, json=True).status_code == 204


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        ("api:grade-list", "learner"),
        ("api:submission-list", "learner"),
        ("api:submission-list", "cohort"),
        ("api:enrollment-list", "learner"),
        ("api:enrollment-list", "cohort"),
        ("api:check-result-list", "learner"),
    ],
)
def test_api_filter_by_a_guessed_id_finds_nothing(world, as_role, name, parameter):
    """A filter naming another cohort's learner or cohort answers an empty page, not a 400."""
    value = world.ours.learner.pk if parameter == "learner" else world.cohort.pk
    response = as_role("rival_client", "GET", reverse(name), data={parameter: value})
    assert (response.status_code, response.json()["results"]) == (200, [])
    own = as_role("client_every_scope", "GET", reverse(name), data={parameter: value})
    assert own.json()["results"]


@pytest.mark.parametrize("field", ["cohort", "user"])
def test_api_enrolling_with_a_guessed_id_answers_as_for_no_such_row(world, as_role, field):
    """Cohort A's id, or learner A's, gets the same 400 as an id that does not exist."""
    ours = {"cohort": world.cohort.pk, "user": world.ours.learner.pk}[field]
    body = {"cohort": world.other_cohort.pk, "user": world.theirs.learner.pk}
    url = reverse("api:enrollment-list")
    hidden = as_role("rival_client", "POST", url, data={**body, field: ours}, json=True)
    missing = as_role("rival_client", "POST", url, data={**body, field: MISSING}, json=True)
    assert hidden.status_code == 400
    assert hidden.json()["errors"] == missing.json()["errors"]


ADMIN_GUESSES = {
    "submission grading page": (
        "admin:courseware_submission_grade",
        lambda world: [world.ours.submission.pk],
    ),
    "submission": ("admin:courseware_submission_change", lambda world: [world.ours.submission.pk]),
    "submission history": (
        "admin:courseware_submission_history",
        lambda world: [world.ours.submission.pk],
    ),
    "grade": ("admin:courseware_grade_change", lambda world: [world.ours.grade.pk]),
    "grade history": ("admin:courseware_grade_history", lambda world: [world.ours.grade.pk]),
    "grade version": (
        "admin:courseware_grade_simple_history",
        lambda world: [world.ours.grade.pk, world.ours.historical_grade.history_id],
    ),
    "enrollment": ("admin:courseware_enrollment_change", lambda world: [world.ours.enrollment.pk]),
    "enrollment history": (
        "admin:courseware_enrollment_history",
        lambda world: [world.ours.enrollment.pk],
    ),
    "enrollment version": (
        "admin:courseware_enrollment_simple_history",
        lambda world: [world.ours.enrollment.pk, world.ours.historical_enrollment.history_id],
    ),
    "progress": ("admin:courseware_lessonprogress_change", lambda world: [world.ours.progress.pk]),
    "progress history": (
        "admin:courseware_lessonprogress_history",
        lambda world: [world.ours.progress.pk],
    ),
    "cohort": ("admin:courseware_cohort_change", lambda world: [world.cohort.pk]),
    "cohort history": ("admin:courseware_cohort_history", lambda world: [world.cohort.pk]),
    "cohort version": (
        "admin:courseware_cohort_simple_history",
        lambda world: [world.cohort.pk, world.history["courseware.cohort"].history_id],
    ),
    "cohort CSV enrollment": (
        "admin:courseware_cohort_enroll_csv",
        lambda world: [world.cohort.pk],
    ),
    "gradebook": ("admin:courseware_gradebook", lambda world: [world.cohort.pk]),
    "gradebook CSV": ("admin:courseware_gradebook_csv", lambda world: [world.cohort.pk]),
}


def _missing(args):
    return [MISSING, *args[1:]] if len(args) == 1 else [MISSING, MISSING]


@pytest.mark.parametrize("what", ADMIN_GUESSES)
def test_admin_instructor_of_another_cohort_finds_nothing_by_guessing(world, as_role, what):
    """Cohort A's pages answer another cohort's instructor as for an id that does not exist:
    a 404, or Django admin's redirect to the index ("… doesn't exist"), never 200 or 403."""
    name, args = ADMIN_GUESSES[what]
    hidden = as_role("other_instructor", "GET", reverse(name, args=args(world)))
    missing = as_role("other_instructor", "GET", reverse(name, args=_missing(args(world))))
    follow = hidden.status_code == 302 and not answers(ADMIN_INDEX, hidden)
    if follow:  # the submission's change page redirects to its grading page
        hidden = as_role("other_instructor", "GET", hidden["Location"])
        missing = as_role("other_instructor", "GET", missing["Location"])
    assert hidden.status_code in (302, 404)
    assert _same_answer(hidden, missing), (hidden.status_code, missing.status_code)


def test_admin_release_of_a_guessed_cohorts_grades_gets_404(world, as_role):
    url = reverse("admin:courseware_grades_release", args=[world.cohort.pk, world.assignment.pk])
    assert as_role("other_instructor", "POST", url).status_code == 404


@pytest.mark.parametrize(
    ("model", "rows"),
    [
        ("submission", lambda world: world.ours.submission),
        ("grade", lambda world: world.ours.grade),
        ("enrollment", lambda world: world.ours.enrollment),
        ("lessonprogress", lambda world: world.ours.progress),
        ("cohort", lambda world: world.cohort),
    ],
)
def test_admin_lists_leave_out_other_cohorts(world, as_role, model, rows):
    response = as_role("other_instructor", "GET", reverse(f"admin:courseware_{model}_changelist"))
    listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
    assert listed and rows(world).pk not in listed


def _unreleased_grade(world):
    from courseware.models import Grade

    Grade.objects.filter(pk=world.ours.grade.pk).update(released_at=None)
    return world.ours.grade


@pytest.mark.parametrize("model", ["grade", "submission"])
def test_admin_release_action_on_a_guessed_grade_releases_nothing(world, as_role, model):
    """Admin actions act on the user's own rows only, whatever ids the form posts."""
    from courseware.models import Grade

    grade = _unreleased_grade(world)
    selected = grade.pk if model == "grade" else grade.submission_id
    for role in ("other_instructor", "instructor"):
        as_role(
            role,
            "POST",
            reverse(f"admin:courseware_{model}_changelist"),
            data={"action": "release_selected", "_selected_action": [selected]},
        )
        released = Grade.objects.get(pk=grade.pk).released_at is not None
        assert released is (role == "instructor"), role


def test_admin_drop_action_on_a_guessed_enrollment_drops_nothing(world, as_role):
    for role in ("other_instructor", "instructor"):
        as_role(
            role,
            "POST",
            reverse("admin:courseware_enrollment_changelist"),
            data={"action": "drop", "_selected_action": [world.ours.enrollment.pk], "apply": "1"},
        )
        world.ours.enrollment.refresh_from_db()
        assert (world.ours.enrollment.status == "dropped") is (role == "instructor"), role


@pytest.mark.parametrize("role", ["instructor", "other_instructor"])
def test_instructors_cannot_rotate_an_api_client_secret(world, as_role, role):
    application = world.api_client.application
    secret = application.client_secret
    response = as_role(
        role,
        "POST",
        reverse("admin:integrations_apiclient_changelist"),
        data={
            "action": "rotate_secret",
            "_selected_action": [world.api_client.pk],
            "confirmed": "yes",
        },
    )
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.client_secret == secret


def test_staff_see_a_rotated_secret_once_on_a_page_never_cached(world, as_role):
    response = as_role(
        "staff",
        "POST",
        reverse("admin:integrations_apiclient_changelist"),
        data={
            "action": "rotate_secret",
            "_selected_action": [world.api_client.pk],
            "confirmed": "yes",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


# --- Raising one's own rights -----------------------------------------------------------------


def _user_form(user, **changes):
    """The admin change form of `user`, as posted, with `changes`."""
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "timezone": user.timezone,
        "is_active": "on",
        "is_staff": "on",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        # The read-only inline of the user's LTI identities still posts its management form.
        "lti_identities-TOTAL_FORMS": "0",
        "lti_identities-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_staff_cannot_make_themselves_superuser(world, as_role):
    """Staff manage accounts, but granting superuser (or any right) is not theirs to give."""
    from accounts.models import User

    staff = world.users["staff"]
    url = reverse("admin:accounts_user_change", args=[staff.pk])
    as_role("staff", "POST", url, data=_user_form(staff, is_superuser="on"))
    assert not User.objects.get(pk=staff.pk).is_superuser
    # The same form from a superuser does it: the request itself was a valid one.
    response = as_role("superuser", "POST", url, data=_user_form(staff, is_superuser="on"))
    assert response.status_code == 302
    assert User.objects.get(pk=staff.pk).is_superuser


def test_staff_cannot_set_a_superusers_password(world, as_role):
    """Setting a superuser's password would be taking over their account."""
    from accounts.models import User

    superuser = world.users["superuser"]
    url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    form = {"password1": "a new long passphrase", "password2": "a new long passphrase"}
    form["usable_password"] = "true"
    as_role("staff", "POST", url, data=form)
    assert not User.objects.get(pk=superuser.pk).check_password(form["password1"])
    learner = world.ours.learner
    url = reverse("admin:auth_user_password_change", args=[learner.pk])
    assert as_role("superuser", "POST", url, data=form).status_code == 302
    assert User.objects.get(pk=learner.pk).check_password(form["password1"])
