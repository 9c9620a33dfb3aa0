from django.contrib import admin, messages
from django.db import transaction

from .models import ApiToken
from .services import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "token_prefix", "state", "created_at", "expires_at", "last_used_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "user__username", "key")
    readonly_fields = ("user", "name", "key", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "key", "created_at", "expires_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        # tokens are issued by `create_api_token`, REST or GraphQL, where the clear value can be shown once
        return False

    @admin.display(description="prefix")
    def token_prefix(self, obj: ApiToken) -> str:
        return obj.prefix

    @admin.display(description="state")
    def state(self, obj: ApiToken) -> str:
        return obj.state_at()

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = 0
        with transaction.atomic():
            for token_id in queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True):
                api_token_revoke(token_id=token_id, actor=request.user)
                count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
