"""The gift register's pages, included under /gifts/ by rapport/urls.py."""

from django.urls import path

from rapport.gifts import views

urlpatterns = [
    path("", views.register_page, name="gift_register"),
    path("new/", views.gift_create, name="gift_create"),
    path("policy/", views.policy_page, name="gift_policy"),
    path("people/<int:person_id>/", views.person_gifts, name="person_gifts"),
    path("<int:gift_id>/edit/", views.gift_edit, name="gift_edit"),
    path("<int:gift_id>/delete/", views.gift_delete, name="gift_delete"),
]
