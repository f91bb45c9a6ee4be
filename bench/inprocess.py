"""Scenarios timed inside one Python process: the gradebook CSV, a CSV roster, the import.

Run by bench/runner.py, one scenario per fresh process so peak-memory figures are its own:

    python -m bench.inprocess csv-export|roster|import --cohort ID --instructor EMAIL

Prints one `BENCH_RESULT {json}` line per figure, in the runner's Result shape.
"""

import argparse
import json
import re
import resource
import time
import tracemalloc

import django

DOCUMENT = "fixtures/military-diplomacy/document.txt"
EXTRAS = {
    "outline": "fixtures/military-diplomacy/outline.toml",
    "checks": "fixtures/military-diplomacy/checks.toml",
    "assignments": "fixtures/military-diplomacy/assignments.toml",
}


def report(group, name, *, target="", ok=None, note=""):
    verdict = "" if ok is None else ("ok" if ok else "MISS")
    line = {"group": group, "name": name, "target": target, "verdict": verdict, "note": note}
    print("BENCH_RESULT " + json.dumps(line), flush=True)


def rss_mb() -> float:
    """Return the process's resident memory now, in MB (Linux; else the peak so far)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def client_for(email):
    from django.test import Client

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=email))
    return client


def csv_export(options):
    """Stream the gradebook CSV through the admin view: time, first line, peak memory."""
    from django.urls import reverse

    client = client_for(options.instructor)
    url = reverse("admin:courseware_gradebook_csv", args=[options.cohort])
    rss_before = rss_peak = rss_mb()
    started = time.perf_counter()
    response = client.get(url)
    first, rows, size = None, 0, 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        if first is None:
            first = time.perf_counter() - started
        rows += chunk.count(b"\n")
        size += len(chunk)
        if rows % 500 == 0:
            rss_peak = max(rss_peak, rss_mb())
    elapsed = time.perf_counter() - started
    rss_peak = max(rss_peak, rss_mb())
    # Again under tracemalloc (slower, so not timed): the most Python held at once.
    tracemalloc.start()
    for _ in client.get(url).streaming_content if response.streaming else []:
        pass
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    ok = response.status_code == 200 and response.streaming and elapsed < 2 and peak < 150
    report(
        "4",
        f"gradebook CSV export in-process, {rows - 1:,} rows",
        target="< 2 s, < 150 MB, streamed",
        ok=ok,
        note=(
            f"status {response.status_code}, {elapsed:.2f} s, first line {first or 0:.2f} s, "
            f"{size / 1e6:.1f} MB, peak {peak:.0f} MB traced, process RSS {rss_before:.0f}→"
            f"{rss_peak:.0f} MB, "
            f"{'streamed' if response.streaming else 'NOT streamed'}"
        ),
    )


def roster(options):
    """Enroll `rows` new learners from a CSV through the admin upload, check, then confirm."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django.utils import timezone

    from bench.targets import BENCH_DOMAIN, BENCH_SLUG
    from courseware.models import Cohort, Course, Enrollment

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    course = Course.objects.get(cohorts=options.cohort)
    cohort = Cohort.objects.create(
        course=course,
        name=f"Bench: CSV roster {stamp}",
        slug=f"{BENCH_SLUG}csv-{stamp}",
        join_policy=Cohort.JoinPolicy.INSTRUCTORS,
    )
    from accounts.models import User

    cohort.instructors.add(User.objects.get(email=options.instructor))
    lines = ["email,name"] + [
        f"csv-{stamp}-{n:05d}@{BENCH_DOMAIN},Roster Learner {n}" for n in range(options.rows)
    ]
    data = ("\n".join(lines) + "\n").encode()
    client = client_for(options.instructor)
    url = reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk])
    started = time.perf_counter()
    upload = client.post(url, {"roster": SimpleUploadedFile("roster.csv", data, "text/csv")})
    checked = time.perf_counter() - started
    token = re.search(rb'name="token" value="([^"]+)"', upload.content)
    if upload.status_code != 200 or token is None:
        report("5", "CSV bulk enrollment", ok=False, note=f"upload answered {upload.status_code}")
        return
    confirmed_at = time.perf_counter()
    confirm = client.post(url, {"token": token[1].decode(), "skip_invalid": "on"})
    confirmed = time.perf_counter() - confirmed_at
    total = time.perf_counter() - started
    created = Enrollment.objects.filter(cohort=cohort).count()
    report(
        "5",
        f"CSV bulk enrollment (admin), {options.rows:,} new learners",
        target="< 10 s",
        ok=confirm.status_code == 200 and created == options.rows and total < 10,
        note=(
            f"{total:.2f} s: upload and check {checked:.2f} s ({len(data) / 1e6:.1f} MB, "
            f"{len(upload.content) / 1e6:.1f} MB page), confirm {confirmed:.2f} s; "
            f"{created:,} enrolled"
        ),
    )


def import_course(options):
    """Time import_course: a first import (under a bench slug), again unchanged, and the course."""
    from django.core.management import call_command

    from bench.targets import BENCH_SLUG
    from courseware.models import Course

    course = Course.objects.exclude(slug__startswith=BENCH_SLUG).get()
    slug = f"{BENCH_SLUG}import-{int(time.time())}"
    runs = [
        ("first import of the document", {"slug": slug, "title": "Bench import"}),
        ("same document again (no changes)", {"slug": slug, "title": "Bench import"}),
        ("re-import of the course its learners use", {"slug": course.slug}),
    ]
    for label, arguments in runs:
        started = time.perf_counter()
        call_command(
            "import_course",
            DOCUMENT,
            stdout=open("/dev/null", "w"),
            **EXTRAS,  # noqa: SIM115
            **arguments,
        )
        elapsed = time.perf_counter() - started
        report("6", f"import: {label}", target="< 1 s", ok=elapsed < 1, note=f"{elapsed:.2f} s")
    Course.objects.filter(slug=slug).delete()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=["csv-export", "roster", "import"])
    parser.add_argument("--cohort", type=int, required=True)
    parser.add_argument("--instructor", required=True)
    parser.add_argument("--rows", type=int, default=10_000)
    options = parser.parse_args()
    django.setup()
    {"csv-export": csv_export, "roster": roster, "import": import_course}[options.scenario](options)


if __name__ == "__main__":
    main()
