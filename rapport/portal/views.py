"""Work in progress: pages being written."""

from django.http import Http404


def calendar_feed_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def calendar_feed_revoke(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def organisation_share_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def person_share_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def share_link_revoke(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def tracking_page(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404
