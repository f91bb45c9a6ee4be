"""API clients, their webhooks and deliveries in the admin, for course staff only."""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from oauth2_provider import models as oauth_models
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_application_model
from simple_history.admin import SimpleHistoryAdmin

from accounts import roles

from . import tasks
from .models import ApiClient, Delivery, WebhookEndpoint
from .scopes import SCOPES


class CourseStaffOnly:
    """Only superusers and Staff manage clients: a client reaches across cohorts."""

    def has_module_permission(self, request):
        return roles.sees_every_cohort(request.user)

    def has_view_permission(self, request, obj=None):
        return roles.sees_every_cohort(request.user)

    def has_add_permission(self, request, *args):
        return roles.sees_every_cohort(request.user)

    def has_change_permission(self, request, obj=None):
        return roles.sees_every_cohort(request.user)

    def has_delete_permission(self, request, obj=None):
        return roles.sees_every_cohort(request.user)


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {description}") for name, description in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="What the client may do. It can ask for fewer in a token request.",
    )

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "cohorts", "is_active"]


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not settings.DEBUG and not url.startswith("https://"):
            raise ValidationError(
                "Use an https:// address: events carry learners' email addresses."
            )
        return url


class WebhookEndpointInline(CourseStaffOnly, admin.StackedInline):
    model = WebhookEndpoint
    form = WebhookEndpointForm
    fields = ["url", "events", "secret", "is_active"]
    readonly_fields = ["secret"]
    extra = 0

    @admin.display(description="signing secret")
    def secret(self, obj):
        if not obj.pk:
            return "Made when the endpoint is saved."
        return format_html("<code>{}</code>", obj.secret)


def end_tokens(client: ApiClient) -> None:
    """Delete the client's access tokens: requests carrying them get 401 from now on."""
    get_access_token_model().objects.filter(application=client.application_id).delete()


@admin.register(ApiClient)
class ApiClientAdmin(CourseStaffOnly, SimpleHistoryAdmin):
    form = ApiClientForm
    list_display = ["name", "client_id", "is_active", "scope_list", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "application__client_id"]
    list_select_related = ["application"]
    fields = ["name", "client_id", "scopes", "cohorts", "is_active", "created_at", "updated_at"]
    readonly_fields = ["client_id", "created_at", "updated_at"]
    filter_horizontal = ["cohorts"]
    inlines = [WebhookEndpointInline]
    actions = ["rotate_secret", "revoke"]

    @admin.display(description="client id", ordering="application__client_id")
    def client_id(self, obj):
        return obj.application.client_id if obj.application_id else "Made when the client is saved."

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def save_model(self, request, obj, form, change):
        if not change:
            secret = generate_client_secret()
            obj.application = get_application_model().objects.create(
                name=obj.name,
                client_type=get_application_model().CLIENT_CONFIDENTIAL,
                authorization_grant_type=get_application_model().GRANT_CLIENT_CREDENTIALS,
                client_secret=secret,
                hash_client_secret=True,
            )
            # Shown once by response_add; only its hash is stored.
            request._client_secrets = [(obj, secret)]
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            obj.application.name = obj.name
            obj.application.save(update_fields=["name", "updated"])
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_tokens(obj)

    def response_add(self, request, obj, post_url_continue=None):
        return self._secrets_page(request, request._client_secrets, title="Client added")

    def delete_model(self, request, obj):
        # The OAuth application goes too, and takes the client with it.
        obj.application.delete()

    def delete_queryset(self, request, queryset):
        get_application_model().objects.filter(api_client__in=queryset).delete()

    @admin.action(description="Rotate the secret of selected clients")
    def rotate_secret(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/integrations/apiclient/rotate_secret.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Rotate client secrets?",
                    "opts": self.model._meta,
                    "clients": queryset,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        secrets = []
        with transaction.atomic():
            for client in queryset.select_related("application"):
                secret = generate_client_secret()
                client.application.client_secret = secret
                client.application.hash_client_secret = True
                client.application.save()
                end_tokens(client)
                client._change_reason = "Secret rotated"
                client.save(update_fields=["updated_at"])
                self.log_change(request, client, "Rotated the secret and ended its tokens.")
                secrets.append((client, secret))
        return self._secrets_page(request, secrets, title="Secrets rotated")

    @admin.action(description="Revoke selected clients")
    def revoke(self, request, queryset):
        count = 0
        with transaction.atomic():
            for client in queryset:
                client.is_active = False
                client._change_reason = "Revoked"
                client.save(update_fields=["is_active", "updated_at"])
                end_tokens(client)
                self.log_change(request, client, "Revoked the client and ended its tokens.")
                count += 1
        plural = "s" if count != 1 else ""
        self.message_user(
            request,
            f"Revoked {count} client{plural}: their tokens and token requests now fail.",
            messages.SUCCESS,
        )

    def _secrets_page(self, request, secrets, *, title):
        response = TemplateResponse(
            request,
            "admin/integrations/apiclient/secrets.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "secrets": secrets,
                "token_url": request.build_absolute_uri("/o/token/"),
            },
        )
        # The secret must not linger in a cache or the browser's history.
        add_never_cache_headers(response)
        return response


@admin.register(Delivery)
class DeliveryAdmin(CourseStaffOnly, admin.ModelAdmin):
    list_display = [
        "event_type",
        "endpoint",
        "client",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event__type", "endpoint__client"]
    list_select_related = ["event", "endpoint__client"]
    search_fields = ["endpoint__url", "endpoint__client__name"]
    fields = [
        "event_id",
        "event_type",
        "occurred_at",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "locked_until",
        "payload",
    ]
    readonly_fields = fields
    actions = ["retry"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="event", ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description="event id")
    def event_id(self, obj):
        return obj.event_id

    @admin.display(description="occurred at", ordering="event__occurred_at")
    def occurred_at(self, obj):
        return obj.event.occurred_at

    @admin.display(description="client", ordering="endpoint__client__name")
    def client(self, obj):
        return obj.endpoint.client

    @admin.display(description="data")
    def payload(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.event.data, indent=2))

    @admin.action(description="Retry selected deliveries")
    def retry(self, request, queryset):
        count = tasks.retry_deliveries(queryset)
        self.message_user(
            request,
            f"Queued {count} deliver{'ies' if count != 1 else 'y'} to be sent again.",
            messages.SUCCESS,
        )


# Clients are managed as ApiClients above; django-oauth-toolkit's own pages would bypass that.
for _model in (oauth_models.Application, oauth_models.AccessToken, oauth_models.RefreshToken,
               oauth_models.Grant, oauth_models.IDToken):  # fmt: skip
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
