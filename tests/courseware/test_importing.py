import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courseware import documents
from courseware.importing import import_course
from courseware.models import Course, Lesson, LessonProgress, Module
from courseware.rendering import html_to_text

from ..conftest import DOCUMENT, OUTLINE

HEADINGS = [
    "Understanding Military Diplomacy",
    "The Role of Soft Power in Diplomacy",
    "Definition of Soft Power",
    "Comparison with Hard Power",
    "Key Instruments of Military Diplomacy",
    "Military Diplomacy and Soft Power Interconnection",
    "Effects on International Relations",
    "Case Studies of Successful Integration",
    "National Security and Soft Power Strategies",
    "Regional Focus: Military Diplomacy in Different Contexts",
    "Challenges to Effective Military Diplomacy",
    "Misinterpretation and Miscommunication",
    "Geopolitical Tensions",
    "Future of Military Diplomacy and Soft Power",
    "The Importance of Cultural Exchange in Military Settings",
    "Conclusions on the Role of Military Diplomacy and Soft Power",
]


def _sentences(text):
    """Split text into sentences and list items, the units the document is made of."""
    units = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line in HEADINGS:
            continue
        line = line.removeprefix("- ")
        units += [s for s in re.split(r"(?<=[.!?:])\s+(?=[A-Z])", line) if s]
    return units


def _import(tmp_path=None, text=None, outline=True, **kwargs):
    document_text = text if text is not None else documents.read_file(DOCUMENT)
    return import_course(
        document=documents.parse_document(document_text),
        outline=documents.parse_outline(documents.read_file(OUTLINE)) if outline else None,
        **kwargs,
    )


def _snapshot():
    return (
        list(Course.objects.values().order_by("pk")),
        list(Module.objects.values().order_by("pk")),
        list(Lesson.objects.values().order_by("pk")),
    )


def test_real_document_becomes_seventeen_lessons_in_document_order(course):
    lessons = list(Lesson.objects.current().filter(course=course).in_order())
    assert [lesson.title for lesson in lessons] == ["Introduction", *HEADINGS]


def test_every_sentence_of_the_document_is_in_exactly_one_lesson_in_order(course):
    raw = DOCUMENT.read_text(encoding="utf-8")
    lessons = list(Lesson.objects.current().filter(course=course).in_order())
    lesson_texts = [html_to_text(lesson.body_html) for lesson in lessons]
    expected = _sentences(raw)
    found = []
    for text in lesson_texts:
        found += _sentences(text)
    assert found == expected
    for sentence in expected:
        assert sum(text.count(sentence) for text in lesson_texts) == raw.count(sentence)


def test_lesson_bodies_hold_nothing_but_document_text(course):
    raw = " ".join(DOCUMENT.read_text(encoding="utf-8").split())
    for lesson in Lesson.objects.filter(course=course):
        assert html_to_text(lesson.body_html) in raw.replace("- ", "")


def test_outline_groups_sections_into_modules_as_the_document_reads(course):
    modules = {
        module.title: [lesson.title for lesson in module.lessons.order_by("position")]
        for module in course.modules.all()
    }
    assert modules["Soft Power"] == [
        "The Role of Soft Power in Diplomacy",
        "Definition of Soft Power",
        "Comparison with Hard Power",
    ]
    assert modules["Challenges"] == [
        "Challenges to Effective Military Diplomacy",
        "Misinterpretation and Miscommunication",
        "Geopolitical Tensions",
    ]


def test_list_items_render_as_html_lists(course):
    lesson = Lesson.objects.get(course=course, slug="key-instruments-of-military-diplomacy")
    assert lesson.body_html.count("<li>") == 4
    assert "<ul>" in lesson.body_html


def test_only_the_introduction_is_a_free_preview(course):
    assert list(
        Lesson.objects.filter(course=course, is_preview=True).values_list("title", flat=True)
    ) == ["Introduction"]


def test_editorial_extras_come_from_the_outline_not_the_body(course):
    lesson = Lesson.objects.get(course=course, slug="understanding-military-diplomacy")
    assert lesson.objective_list and lesson.key_term_list
    for objective in lesson.objective_list:
        assert objective not in lesson.body_html


def test_importing_the_same_document_again_changes_nothing(course):
    before = _snapshot()
    report = _import()
    assert not report.changed
    assert report.lessons_unchanged == 17
    assert _snapshot() == before


def test_editing_a_section_updates_its_lesson_in_place_and_keeps_progress(course, learner):
    lesson = Lesson.objects.get(course=course, slug="geopolitical-tensions")
    LessonProgress.objects.create(learner=learner, lesson=lesson, started_at="2026-01-01T00:00Z")
    edited = documents.read_file(DOCUMENT).replace(
        "Geopolitical tensions often complicate military diplomacy",
        "Geopolitical tensions frequently complicate military diplomacy",
    )
    report = _import(text=edited)
    assert report.lessons_updated == 1 and report.lessons_created == 0
    lesson.refresh_from_db()
    assert "frequently complicate" in lesson.body_html
    assert LessonProgress.objects.filter(lesson=lesson, learner=learner).exists()
    assert Course.objects.get(pk=course.pk).version == course.version + 1


def test_a_section_dropped_from_the_document_is_archived_with_its_progress(course, learner):
    lesson = Lesson.objects.get(course=course, slug="geopolitical-tensions")
    LessonProgress.objects.create(learner=learner, lesson=lesson, started_at="2026-01-01T00:00Z")
    text = documents.read_file(DOCUMENT)
    start = text.index("Geopolitical Tensions\n")
    end = text.index("Future of Military Diplomacy and Soft Power\n")
    report = import_course(
        document=documents.parse_document(text[:start] + text[end:]), title=course.title
    )
    assert report.archived >= 1
    lesson.refresh_from_db()
    assert lesson.is_archived
    assert LessonProgress.objects.filter(lesson=lesson).count() == 1
    assert "geopolitical-tensions" not in set(
        Lesson.objects.current().filter(course=course).values_list("slug", flat=True)
    )


def test_markdown_headings_become_modules_and_lessons(db):
    text = (
        "Welcome to the course.\n\n"
        "# Basics\n\nSoft power attracts.\n\n"
        "## Hard power\n\nHard power coerces. <script>alert(1)</script>\n\n"
        "# Practice\n\n- exercises\n- exchanges\n"
    )
    report = import_course(
        document=documents.parse_document(text, markdown=True), title="MD course"
    )
    course = report.course
    assert [m.title for m in course.modules.order_by("position")] == [
        "Introduction",
        "Basics",
        "Practice",
    ]
    titles = list(Lesson.objects.filter(course=course).in_order().values_list("title", flat=True))
    assert titles == ["Introduction", "Basics", "Hard power", "Practice"]
    hard = Lesson.objects.get(course=course, slug="hard-power")
    assert "<script" not in hard.body_html
    assert "Hard power coerces." in hard.body_html


def test_markdown_is_detected_by_extension_and_content():
    assert documents.is_markdown("plain", "notes.md")
    assert documents.is_markdown("# Heading\ntext", "notes")
    assert not documents.is_markdown("# Heading\ntext", "notes.txt")


def test_plain_text_punctuation_is_kept_literally(db):
    text = (
        "Intro with *stars* and _underscores_ and <b>tags</b>.\n"
        "A Heading\n"
        "1. Not a list, but text.\n"
    )
    course = import_course(document=documents.parse_document(text), title="Literal").course
    intro = Lesson.objects.get(course=course, slug="introduction")
    assert html_to_text(intro.body_html) == "Intro with *stars* and _underscores_ and <b>tags</b>."
    lesson = Lesson.objects.get(course=course, slug="a-heading")
    assert html_to_text(lesson.body_html) == "1. Not a list, but text."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"Caf\xe9 au lait.\nA Heading\nText.\n", "not UTF-8"),
        (b"Only sentences here.\nAnd another sentence.\n", "no headings"),
    ],
    ids=["empty", "blank", "binary", "undecodable", "no-headings"],
)
def test_bad_documents_exit_non_zero_and_change_nothing(course, tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    before = _snapshot()
    with pytest.raises(CommandError, match=message):
        call_command("import_course", str(path), "--outline", str(OUTLINE))
    assert _snapshot() == before


def test_a_missing_file_is_named_in_the_error(course, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_course", str(tmp_path / "nope.txt"))


def test_an_outline_naming_an_unknown_section_is_refused_and_changes_nothing(course, tmp_path):
    outline = tmp_path / "outline.toml"
    outline.write_text(
        OUTLINE.read_text(encoding="utf-8").replace(
            'section = "Geopolitical Tensions"', 'section = "Geopolitical Tension Zones"'
        ),
        encoding="utf-8",
    )
    before = _snapshot()
    with pytest.raises(CommandError, match="Geopolitical Tension Zones"):
        call_command("import_course", str(DOCUMENT), "--outline", str(outline))
    assert _snapshot() == before


def test_an_outline_leaving_out_a_section_is_refused(db, tmp_path):
    outline = tmp_path / "outline.toml"
    outline.write_text(
        re.sub(
            r'\[\[module\.lesson\]\]\nsection = "Geopolitical Tensions"\n.*?\n\n',
            "",
            OUTLINE.read_text(encoding="utf-8"),
            flags=re.DOTALL,
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        CommandError, match="leaves out sections of the document: 'Geopolitical Tensions'"
    ):
        call_command("import_course", str(DOCUMENT), "--outline", str(outline))
    assert not Course.objects.exists()


def test_a_failure_midway_rolls_back_every_lesson(course, monkeypatch):
    before = _snapshot()
    edited = documents.read_file(DOCUMENT).replace(
        "Soft power, a term coined", "Soft power, a phrase coined"
    )
    original_save = Lesson.save

    def failing_save(self, *args, **kwargs):
        if self.slug == "conclusions-on-the-role-of-military-diplomacy-and-soft-power":
            raise RuntimeError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Lesson, "save", failing_save)
    edited = edited.replace("play a pivotal role", "play a central role")
    with pytest.raises(RuntimeError):
        _import(text=edited)
    assert _snapshot() == before


def test_command_reports_no_change_on_the_second_run(db, capsys):
    call_command("import_course", str(DOCUMENT), "--outline", str(OUTLINE))
    first = capsys.readouterr().out
    call_command("import_course", str(DOCUMENT), "--outline", str(OUTLINE))
    second = capsys.readouterr().out
    assert "17 created" in first
    assert second.startswith("No changes")
