"""Work in progress: pages being written."""

from django.http import Http404


def commitment_close(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def commitment_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def commitment_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def commitment_detail(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def commitment_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def commitment_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def commitment_renegotiate(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def commitment_report_back(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def decision_add(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def decision_dismiss(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def meeting_detail(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def milestone_add(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def milestone_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def risk_add(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def risk_disclose(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def risk_resolve(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404
