from django.contrib import admin

from rapport.accounts.models import ApiToken, AuditEntry, Member, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "language", "time_zone"]
    list_filter = ["team"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["digest"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "team", "actor", "action", "object_type", "object_id", "summary"]
    list_filter = ["team", "action"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
