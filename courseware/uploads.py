"""Check learners' attachments by their content, not their names."""

import secrets
import unicodedata
import zipfile

from django.core.exceptions import ValidationError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT = "text/plain"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", TXT: ".txt"}


def check_attachment(upload) -> str:
    """Return the attachment's content type, or refuse it with a reason the learner can act on."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            {"attachment": f"The file is {upload.size / 1048576:.1f} MB; the limit is 10 MB."}
        )
    if upload.size == 0:
        raise ValidationError({"attachment": "The file is empty."})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04") and _is_docx(upload):
        return DOCX
    if _is_text(upload):
        return TXT
    raise ValidationError(
        {"attachment": "Attach a PDF, a Word document (.docx) or a plain text file."}
    )


def _is_docx(upload) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _is_text(upload) -> bool:
    data = upload.read()
    upload.seek(0)
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def safe_display_name(name: str) -> str:
    """Return a file name safe to show and to offer in a download header."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*')
    return cleaned.strip(" .")[:200] or "attachment"


def stored_name(name: str) -> str:
    """Return an unguessable storage name; the learner's name is kept separately."""
    return secrets.token_hex(16)
