"""Admin for LTI: platform registrations (manual or dynamic) and score passback."""

from django.contrib import admin, messages
from lti_tool.admin import LtiRegistrationAdmin as DjangoLtiRegistrationAdmin
from lti_tool.models import LtiDeployment, LtiRegistration
from simple_history.admin import SimpleHistoryAdmin

from ..lti import scores
from ..models import FrameAncestor, ScorePost

admin.site.unregister(LtiRegistration)


class DeploymentInline(admin.TabularInline):
    model = LtiDeployment
    fields = ["deployment_id", "is_active"]
    extra = 1


class FrameAncestorInline(admin.TabularInline):
    model = FrameAncestor
    extra = 1
    verbose_name = "site that may show the course in a frame"


@admin.register(LtiRegistration)
class LtiRegistrationAdmin(SimpleHistoryAdmin, DjangoLtiRegistrationAdmin):
    """Manual registration for platforms without dynamic registration: issuer, client id,
    the platform's URLs, and its deployment ids."""

    list_display = ["name", "issuer", "client_id", "is_active", "datetime_created"]
    search_fields = ["name", "issuer", "client_id"]
    inlines = [DeploymentInline, FrameAncestorInline]


@admin.register(ScorePost)
class ScorePostAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "learner",
        "score_given",
        "score_maximum",
        "status",
        "attempts",
        "updated_at",
    ]
    list_filter = ["status"]
    search_fields = ["label", "learner__email", "lti_user_id"]
    list_select_related = ["learner"]
    readonly_fields = [field.name for field in ScorePost._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send again", permissions=["view"])
    def retry(self, request, queryset):
        count = scores.retry(queryset)
        self.message_user(request, f"{count} score(s) queued to send again.", messages.SUCCESS)
