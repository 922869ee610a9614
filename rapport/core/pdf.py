"""Documents as PDF: a template rendered to HTML, then laid out by WeasyPrint.

One place for the print style, the fonts (Noto CJK covers Chinese and Latin) and
the download response, so every PDF Rapport sends looks and behaves the same."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    """The template's page as PDF bytes. Static files and images resolve against the
    request's address when there is one, else against the working directory."""
    # Imported here: WeasyPrint loads Pango at import, which pages that never print
    # should not pay for.
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    base_url = request.build_absolute_uri("/") if request is not None else "."
    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return pdf


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A download of the PDF under a name safe for every browser's save dialog."""
    response = HttpResponse(pdf, content_type="application/pdf")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename) or "document.pdf"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
