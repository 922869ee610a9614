from django.contrib import admin

from rapport.interactions.models import Interaction


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "summary", "team", "owner"]
    list_filter = ["team", "kind", "focus"]
    date_hierarchy = "occurred_at"
