from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from rapport.accounts import views as accounts
from rapport.api import api
from rapport.core import views as core
from rapport.interactions import views as interactions
from rapport.people import views as people

urlpatterns = [
    path("", core.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", accounts.preferences, name="preferences"),
    path("preferences/language/", accounts.set_language, name="set_language"),
    path("preferences/tokens/", accounts.token_create, name="token_create"),
    path("preferences/tokens/<int:token_id>/revoke/", accounts.token_revoke, name="token_revoke"),
    path("audit/", accounts.audit_log, name="audit_log"),
    path("people/", people.person_list, name="person_list"),
    path("people/new/", people.person_create, name="person_create"),
    path("people/suggest/", people.person_suggest, name="person_suggest"),
    path("people/<int:person_id>/", people.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", people.person_edit, name="person_edit"),
    path("people/<int:person_id>/delete/", people.person_delete, name="person_delete"),
    path("people/<int:person_id>/facts/", people.fact_add, name="fact_add"),
    path("people/<int:person_id>/roles/", people.role_add, name="role_add"),
    path("people/<int:person_id>/roles/new/", people.role_form, name="role_form"),
    path(
        "people/<int:person_id>/interactions/new/",
        interactions.person_interaction_form,
        name="person_interaction_form",
    ),
    path(
        "people/<int:person_id>/interactions/",
        interactions.person_interaction_add,
        name="person_interaction_add",
    ),
    path(
        "people/<int:person_id>/timeline/",
        interactions.person_timeline_page,
        name="person_timeline",
    ),
    path("facts/<int:fact_id>/delete/", people.fact_delete, name="fact_delete"),
    path("roles/<int:role_id>/delete/", people.role_delete, name="role_delete"),
    path("organisations/", people.organisation_list, name="organisation_list"),
    path("organisations/new/", people.organisation_create, name="organisation_create"),
    path("organisations/suggest/", people.organisation_suggest, name="organisation_suggest"),
    path(
        "organisations/<int:organisation_id>/",
        people.organisation_detail,
        name="organisation_detail",
    ),
    path(
        "organisations/<int:organisation_id>/edit/",
        people.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "organisations/<int:organisation_id>/delete/",
        people.organisation_delete,
        name="organisation_delete",
    ),
    path("interactions/", interactions.interaction_list, name="interaction_list"),
    path("interactions/new/", interactions.interaction_create, name="interaction_create"),
    path(
        "interactions/<int:interaction_id>/delete/",
        interactions.interaction_delete,
        name="interaction_delete",
    ),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
