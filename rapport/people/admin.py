from django.contrib import admin

from rapport.people.models import Channel, Fact, Organisation, Person, Role


class ChannelInline(admin.TabularInline):
    model = Channel
    extra = 0


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["display_name", "team", "owner", "visibility"]
    list_filter = ["team", "visibility"]
    search_fields = ["search_text"]
    inlines = [ChannelInline, RoleInline]
    raw_id_fields = ["introduced_by"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "industry"]
    list_filter = ["team"]


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    list_display = ["person", "category", "value"]
    raw_id_fields = ["person"]
