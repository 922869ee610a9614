from django.urls import path

from rapport.value import views

urlpatterns = [
    path("people/<int:person_id>/value/", views.person_value, name="person_value"),
    path("people/<int:person_id>/value/add/", views.person_value_add, name="person_value_add"),
    path(
        "people/<int:person_id>/value/reports/",
        views.person_value_report_create,
        name="person_value_report_create",
    ),
    path(
        "organisations/<int:organisation_id>/value/",
        views.organisation_value,
        name="organisation_value",
    ),
    path(
        "organisations/<int:organisation_id>/value/add/",
        views.organisation_value_add,
        name="organisation_value_add",
    ),
    path(
        "organisations/<int:organisation_id>/value/reports/",
        views.organisation_value_report_create,
        name="organisation_value_report_create",
    ),
    path("value/items/<int:item_id>/edit/", views.value_item_edit, name="value_item_edit"),
    path("value/items/<int:item_id>/delete/", views.value_item_delete, name="value_item_delete"),
    path(
        "value/reports/<int:report_id>/revoke/",
        views.value_report_revoke,
        name="value_report_revoke",
    ),
    path("value/reports/<int:report_id>/send/", views.value_report_send, name="value_report_send"),
    path(
        "value/reports/<int:report_id>/report.pdf",
        views.value_report_pdf,
        name="value_report_pdf",
    ),
    path("p/value/<str:token>/", views.value_report_page, name="value_report_page"),
    path(
        "p/value/<str:token>/report.pdf",
        views.value_report_public_pdf,
        name="value_report_public_pdf",
    ),
]
