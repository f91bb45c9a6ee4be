"""Attachments are typed by their content, not their names, and their names made safe."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from courseware.uploads import (
    DOCX,
    MAX_ATTACHMENT_BYTES,
    PDF,
    TXT,
    check_attachment,
    safe_display_name,
)

WRONG_TYPE = "Attach a PDF, a Word document (.docx) or a plain text file."
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


def zipped(*names):
    """Return the bytes of a zip archive holding these (tiny) members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


def docx_bytes():
    return zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml")


def refusal(upload):
    with pytest.raises(ValidationError) as caught:
        check_attachment(upload)
    return caught.value.message_dict["attachment"]


def test_a_pdf_is_recognised_by_its_magic_bytes():
    assert check_attachment(SimpleUploadedFile("essay.pdf", PDF_BYTES)) == PDF


def test_a_pdf_is_recognised_whatever_its_name():
    assert check_attachment(SimpleUploadedFile("essay", PDF_BYTES)) == PDF


def test_a_word_document_is_recognised_by_its_parts():
    assert check_attachment(SimpleUploadedFile("essay.docx", docx_bytes())) == DOCX


def test_utf8_text_is_accepted_as_plain_text():
    text = "Soft power — attraction, not coercion. Café, Zürich, 東京.\n".encode()
    assert check_attachment(SimpleUploadedFile("notes.txt", text)) == TXT


def test_a_png_named_pdf_is_refused():
    assert refusal(SimpleUploadedFile("essay.pdf", PNG_BYTES)) == [WRONG_TYPE]


def test_a_zip_that_is_not_a_word_document_is_refused():
    upload = SimpleUploadedFile("essay.docx", zipped("notes.txt", "word/styles.xml"))
    assert refusal(upload) == [WRONG_TYPE]


def test_binary_data_with_a_nul_byte_is_refused():
    assert refusal(SimpleUploadedFile("notes.txt", b"plain words\x00then binary")) == [WRONG_TYPE]


def test_text_that_is_not_utf8_is_refused():
    assert refusal(SimpleUploadedFile("notes.txt", "Café".encode("latin-1"))) == [WRONG_TYPE]


def test_a_file_over_10_mb_is_refused():
    upload = SimpleUploadedFile("essay.pdf", PDF_BYTES)
    upload.size = MAX_ATTACHMENT_BYTES + 1
    assert refusal(upload) == ["The file is 10.0 MB; the limit is 10 MB."]


def test_a_file_of_exactly_10_mb_is_accepted():
    upload = SimpleUploadedFile("essay.pdf", PDF_BYTES)
    upload.size = MAX_ATTACHMENT_BYTES
    assert check_attachment(upload) == PDF


def test_an_empty_file_is_refused():
    assert refusal(SimpleUploadedFile("essay.pdf", b"")) == ["The file is empty."]


@pytest.mark.parametrize(
    "content", [PDF_BYTES, docx_bytes(), b"plain text"], ids=["pdf", "docx", "text"]
)
def test_checking_leaves_the_file_ready_to_be_read_from_the_start(content):
    upload = SimpleUploadedFile("attachment", content)
    check_attachment(upload)
    assert upload.read() == content


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("essay.pdf", "essay.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/var/www/essay.pdf", "essay.pdf"),
        ("C:\\Users\\lee\\Desktop\\essay.docx", "essay.docx"),
        ('my "final" essay.pdf', "my final essay.pdf"),
        ("<img src=x onerror=alert(1)>.txt", "img src=x onerror=alert(1).txt"),
        ("what?|*:.pdf", "what.pdf"),
        ("line\r\nbreak\t.pdf", "linebreak.pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ("  .hidden.  ", "hidden"),
        ("", "attachment"),
        ("...", "attachment"),
        ("dir/", "attachment"),
    ],
)
def test_a_display_name_keeps_only_a_safe_base_name(name, shown):
    assert safe_display_name(name) == shown


def test_a_display_name_is_cut_to_200_characters():
    assert safe_display_name("a" * 300 + ".pdf") == "a" * 200
