from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rapport.accounts import views as accounts
from rapport.api import api
from rapport.commitments import views as commitments
from rapport.core import views as core
from rapport.interactions import views as interactions
from rapport.network import reach_views as reach
from rapport.network import tie_views as ties
from rapport.network import views as network
from rapport.people import views as people
from rapport.portal import feed
from rapport.portal import views as portal
from rapport.transfer import views as transfer
from rapport.trust import cardviews as trust_cards
from rapport.trust import listviews as trust_list
from rapport.trust import views as trust

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
    path("people/duplicates/", include("rapport.transfer.duplicate_views")),
    path("people/<int:person_id>/", people.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", people.person_edit, name="person_edit"),
    path("people/<int:person_id>/delete/", people.person_delete, name="person_delete"),
    path("people/<int:person_id>/facts/", people.fact_add, name="fact_add"),
    path("trust/", trust_list.trust_list, name="trust_list"),
    path("trust/recompute/", trust_list.trust_recompute, name="trust_recompute"),
    path("people/<int:person_id>/trust/", trust_cards.person_trust, name="person_trust"),
    path(
        "organisations/<int:organisation_id>/trust/",
        trust_cards.organisation_trust,
        name="organisation_trust",
    ),
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
    path("deals/", include("rapport.deals.urls")),
    path("agreements/", include("rapport.agreements.urls")),
    path("gifts/", include("rapport.gifts.urls")),
    path("network/path/", network.path_page, name="network_path"),
    path("network/path/suggest/", network.path_suggest, name="network_path_suggest"),
    path("network/path/draft/", network.path_draft, name="network_path_draft"),
    path("network/", reach.reach_page, name="network_reach"),
    path("network/people/<int:person_id>/", reach.person_reach, name="network_person"),
    path(
        "network/people/<int:person_id>/graph.json",
        reach.person_graph,
        name="network_person_graph",
    ),
    path(
        "network/organisations/<int:organisation_id>/",
        reach.organisation_reach,
        name="network_organisation",
    ),
    path(
        "network/organisations/<int:organisation_id>/graph.json",
        reach.organisation_graph,
        name="network_organisation_graph",
    ),
    path("people/<int:person_id>/ties/", ties.person_ties, name="person_ties"),
    path("people/<int:person_id>/ties/add/", ties.tie_add, name="tie_add"),
    path("network/ties/suggest/", ties.tie_suggest, name="tie_suggest"),
    path("ties/<int:tie_id>/edit/", ties.tie_edit_form, name="tie_edit_form"),
    path("ties/<int:tie_id>/change/", ties.tie_edit, name="tie_edit"),
    path("ties/<int:tie_id>/strength/", ties.tie_strength, name="tie_strength"),
    path("ties/<int:tie_id>/delete/", ties.tie_delete, name="tie_delete"),
    path("people/<int:person_id>/referrals/", ties.person_referrals, name="person_referrals"),
    path("people/<int:person_id>/referrals/add/", ties.referral_add, name="referral_add"),
    path("referrals/<int:referral_id>/thank/", ties.referral_thank, name="referral_thank"),
    path("interactions/", interactions.interaction_list, name="interaction_list"),
    path("interactions/new/", interactions.interaction_create, name="interaction_create"),
    path(
        "interactions/<int:interaction_id>/delete/",
        interactions.interaction_delete,
        name="interaction_delete",
    ),
    path("commitments/", commitments.commitment_list, name="commitment_list"),
    path("commitments/new/", commitments.commitment_create, name="commitment_create"),
    path(
        "commitments/<int:commitment_id>/",
        commitments.commitment_detail,
        name="commitment_detail",
    ),
    path(
        "commitments/<int:commitment_id>/edit/",
        commitments.commitment_edit,
        name="commitment_edit",
    ),
    path(
        "commitments/<int:commitment_id>/close/",
        commitments.commitment_close,
        name="commitment_close",
    ),
    path(
        "commitments/<int:commitment_id>/renegotiate/",
        commitments.commitment_renegotiate,
        name="commitment_renegotiate",
    ),
    path(
        "commitments/<int:commitment_id>/report-back/",
        commitments.commitment_report_back,
        name="commitment_report_back",
    ),
    path(
        "commitments/<int:commitment_id>/delete/",
        commitments.commitment_delete,
        name="commitment_delete",
    ),
    path(
        "commitments/<int:commitment_id>/milestones/",
        commitments.milestone_add,
        name="milestone_add",
    ),
    path("commitments/<int:commitment_id>/risks/", commitments.risk_add, name="risk_add"),
    path(
        "milestones/<int:milestone_id>/delete/",
        commitments.milestone_delete,
        name="milestone_delete",
    ),
    path("risks/<int:risk_id>/disclose/", commitments.risk_disclose, name="risk_disclose"),
    path("risks/<int:risk_id>/resolve/", commitments.risk_resolve, name="risk_resolve"),
    path("meetings/<int:interaction_id>/", commitments.meeting_detail, name="meeting_detail"),
    path(
        "meetings/<int:interaction_id>/decisions/",
        commitments.decision_add,
        name="decision_add",
    ),
    path(
        "decisions/<int:decision_id>/dismiss/",
        commitments.decision_dismiss,
        name="decision_dismiss",
    ),
    path(
        "people/<int:person_id>/share/",
        portal.person_share_create,
        name="person_share_create",
    ),
    path(
        "organisations/<int:organisation_id>/share/",
        portal.organisation_share_create,
        name="organisation_share_create",
    ),
    path("share-links/<int:link_id>/revoke/", portal.share_link_revoke, name="share_link_revoke"),
    path("p/<str:token>/", portal.tracking_page, name="tracking_page"),
    path(
        "people/<int:person_id>/surveys/",
        portal.person_survey_create,
        name="person_survey_create",
    ),
    path("surveys/<int:survey_id>/revoke/", portal.survey_revoke, name="survey_revoke"),
    path("p/survey/<str:token>/", portal.survey_page, name="survey_page"),
    path("preferences/calendar/", portal.calendar_feed_create, name="calendar_feed_create"),
    path(
        "preferences/calendar/<int:feed_id>/revoke/",
        portal.calendar_feed_revoke,
        name="calendar_feed_revoke",
    ),
    path("feed/<str:token>.ics", feed.calendar_feed, name="calendar_feed"),
    path("evidence/", trust.evidence_list, name="evidence_list"),
    path("evidence/new/", trust.evidence_create, name="evidence_create"),
    path("evidence/<int:evidence_id>/", trust.evidence_detail, name="evidence_detail"),
    path("evidence/<int:evidence_id>/edit/", trust.evidence_edit, name="evidence_edit"),
    path("evidence/<int:evidence_id>/delete/", trust.evidence_delete, name="evidence_delete"),
    path(
        "evidence/<int:evidence_id>/attachment/",
        trust.evidence_attachment,
        name="evidence_attachment",
    ),
    path(
        "people/<int:person_id>/evidence/",
        trust.person_evidence_show,
        name="person_evidence_show",
    ),
    path(
        "organisations/<int:organisation_id>/evidence/",
        trust.organisation_evidence_show,
        name="organisation_evidence_show",
    ),
    path("showings/<int:showing_id>/delete/", trust.showing_delete, name="showing_delete"),
    path("claims/", trust.claim_list, name="claim_list"),
    path("people/<int:person_id>/claims/", trust.person_claim_create, name="person_claim_create"),
    path(
        "organisations/<int:organisation_id>/claims/",
        trust.organisation_claim_create,
        name="organisation_claim_create",
    ),
    path("claims/<int:claim_id>/", trust.claim_detail, name="claim_detail"),
    path("claims/<int:claim_id>/assess/", trust.claim_assess, name="claim_assess"),
    path("claims/<int:claim_id>/delete/", trust.claim_delete, name="claim_delete"),
    path("import/", transfer.import_upload, name="import_upload"),
    path("import/mapping/", transfer.import_mapping, name="import_mapping"),
    path("import/<int:job_id>/", transfer.import_job, name="import_job"),
    path("import/<int:job_id>/again/", transfer.import_again, name="import_again"),
    path("export/", transfer.export_page, name="export_page"),
    path("export/people.vcf", transfer.export_vcard, name="export_vcard"),
    path("export/people.csv", transfer.export_csv, name="export_csv"),
    path("export/everything.json", transfer.export_everything, name="export_everything"),
    path("people/<int:person_id>/export.json", transfer.person_export, name="person_export"),
    path("people/<int:person_id>/erase/", transfer.person_erase, name="person_erase"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("rapport.value.urls")),
]
