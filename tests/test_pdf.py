"""The shared PDF helper: text in both of our users' languages survives into the file."""

from __future__ import annotations

import io

from pypdf import PdfReader

from rapport.core.pdf import pdf_response, render_pdf


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_printed_page_keeps_its_english_and_chinese_text(tmp_path, settings) -> None:
    (tmp_path / "doc.html").write_text(
        '{% extends "core/print.html" %}{% block body %}<h1>{{ title }}</h1>'
        "<p>{{ line }}</p>{% endblock %}",
        encoding="utf-8",
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    pdf = render_pdf("doc.html", {"title": "What we did for you", "line": "为您节省了 12,000 元"})
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "What we did for you" in text
    assert "为您节省了" in text


def test_the_download_name_cannot_break_out_of_its_header() -> None:
    response = pdf_response(b"%PDF-1.7", 'report "2026"\r\nX: y.pdf')
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="report--2026---X--y.pdf"'
