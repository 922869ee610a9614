"""The deal pages, included under /deals/ by rapport/urls.py."""

from django.urls import path

from rapport.deals import bid_views, views

urlpatterns = [
    path("", views.board_page, name="deal_board"),
    path("new/", views.deal_create, name="deal_create"),
    path("pipelines/new/", views.pipeline_create, name="pipeline_create"),
    path("pipelines/<int:pipeline_id>/", views.pipeline_board, name="pipeline_board"),
    path("pipelines/<int:pipeline_id>/table/", views.pipeline_table, name="pipeline_table"),
    path("<int:deal_id>/", views.deal_detail, name="deal_detail"),
    path("<int:deal_id>/edit/", views.deal_edit, name="deal_edit"),
    path("<int:deal_id>/next-step/", views.deal_next_step, name="deal_next_step"),
    path("<int:deal_id>/move/", views.deal_move, name="deal_move"),
    path("<int:deal_id>/investments/", views.deal_invest, name="deal_invest"),
    path("<int:deal_id>/stoploss/", views.deal_stoploss_decide, name="deal_stoploss_decide"),
    path("<int:deal_id>/tender/", bid_views.tender_card, name="deal_tender"),
    path("report/", bid_views.winloss_page, name="deal_winloss"),
]
