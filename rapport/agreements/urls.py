"""The agreement pages, included under /agreements/ by rapport/urls.py."""

from django.urls import path

from rapport.agreements import views

urlpatterns = [
    path("", views.agreement_list, name="agreement_list"),
    path("new/", views.agreement_create, name="agreement_create"),
    path("<int:agreement_id>/", views.agreement_detail, name="agreement_detail"),
    path("<int:agreement_id>/edit/", views.agreement_edit, name="agreement_edit"),
    path("<int:agreement_id>/clauses/", views.clause_add, name="clause_add"),
    path("<int:agreement_id>/sign/", views.agreement_sign, name="agreement_sign"),
    path("<int:agreement_id>/amend/", views.agreement_amend, name="agreement_amend"),
    path("<int:agreement_id>/delete/", views.agreement_delete, name="agreement_delete"),
    path("<int:agreement_id>/pdf/", views.agreement_pdf, name="agreement_pdf"),
    path("clauses/<int:clause_id>/edit/", views.clause_edit, name="clause_edit"),
    path("clauses/<int:clause_id>/move/", views.clause_move, name="clause_move"),
    path("clauses/<int:clause_id>/delete/", views.clause_delete, name="clause_delete"),
    path("clauses/<int:clause_id>/obligations/", views.obligation_add, name="obligation_add"),
    path("obligations/<int:obligation_id>/edit/", views.obligation_edit, name="obligation_edit"),
    path(
        "obligations/<int:obligation_id>/delete/",
        views.obligation_delete,
        name="obligation_delete",
    ),
]
