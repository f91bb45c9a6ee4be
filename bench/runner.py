"""Run the scenarios against gunicorn and in-process, and print the table. bench/run calls it.

The HTTP scenarios are loaded by wrk (wrk.lua signs the requests in and reports a JSON line);
every figure is compared with a bare Django view on the same server, measured at the start
and at the end of the run, so a busy machine shows up as drift rather than as a wrong ratio.
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import django

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "var" / "bench"
LUA = Path(__file__).with_name("wrk.lua")
HOST = "127.0.0.1"
LESSON_TARGET = (0.25, 50.0)  # share of the bare view's throughput, p99 in ms
API_TARGET = (0.20, 50.0)


@dataclass
class Result:
    group: str
    name: str
    connections: int | None = None
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None
    target: str = ""
    verdict: str = ""
    note: str = ""
    budget: tuple[float, float] | None = None  # (share of bare throughput, p99 ms)


class Bench:
    def __init__(self, options):
        self.options = options
        self.port = options.port
        self.results: list[Result] = []
        self.bare_rps: list[float] = []
        self.wrk_log = (OUT / "wrk.log").open("w")

    # HTTP, with the standard library: the client must cost nothing next to the server.

    def request(self, method, path, *, headers=None, body=None, timeout=120):
        connection = HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def sign_in(self, email, password) -> str:
        """Sign in through the login form; return the Cookie header of the new session."""
        from django.conf import settings

        path = self.targets.paths["login"]
        status, headers, body = self.request("GET", path)
        cookies = SimpleCookie()
        for value in headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or token is None or settings.CSRF_COOKIE_NAME not in cookies:
            raise SystemExit(f"The login page answered {status} without a CSRF token.")
        form = urlencode(
            {"csrfmiddlewaretoken": token[1].decode(), "username": email, "password": password}
        )
        status, headers, _ = self.request(
            "POST",
            path,
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"{settings.CSRF_COOKIE_NAME}={cookies[settings.CSRF_COOKIE_NAME].value}",
            },
        )
        for value in headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        if status != 302 or settings.SESSION_COOKIE_NAME not in cookies:
            raise SystemExit(f"Signing in as {email} failed: the login form answered {status}.")
        return f"{settings.SESSION_COOKIE_NAME}={cookies[settings.SESSION_COOKIE_NAME].value}"

    def api_token(self) -> str:
        """Return an Authorization header from the token endpoint (client credentials)."""
        credentials = f"{self.targets.client_id}:{self.targets.client_secret}".encode()
        status, _, body = self.request(
            "POST",
            self.targets.paths["token"],
            body="grant_type=client_credentials",
            headers={
                "Authorization": "Basic " + base64.b64encode(credentials).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        if status != 200:
            raise SystemExit(f"The token endpoint answered {status}: {body[:200]!r}")
        return "Bearer " + json.loads(body)["access_token"]

    # The server.

    def start_server(self):
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.options.workers),
            "--threads",
            str(self.options.server_threads),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        log = (OUT / "gunicorn.log").open("w")
        self.server = subprocess.Popen(  # noqa: S603 (our own command line)
            command, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"gunicorn stopped: see {OUT / 'gunicorn.log'}")
            try:
                if self.request("GET", "/bench/bare/", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit("gunicorn did not answer within a minute.")

    def stop_server(self):
        server = getattr(self, "server", None)
        if server and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()

    # wrk.

    def wrk(self, path, *, connections, duration, headers=None, timeout="10s"):
        env = {**os.environ, "BENCH_COOKIE": "", "BENCH_AUTH": ""}
        for name, value in (headers or {}).items():
            env["BENCH_COOKIE" if name == "Cookie" else "BENCH_AUTH"] = value
        command = [
            "wrk",
            f"-t{min(self.options.threads, connections)}",
            f"-c{connections}",
            f"-d{duration}",
            "--latency",
            "--timeout",
            timeout,
            "-s",
            str(LUA),
            f"http://{HOST}:{self.port}{path}",
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        self.wrk_log.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
        self.wrk_log.flush()
        found = re.search(r"^BENCH_RESULT (.*)$", done.stdout, re.MULTILINE)
        if found is None:
            raise SystemExit(f"wrk failed: {done.stderr or done.stdout}")
        return json.loads(found[1])

    def http_scenario(
        self,
        group,
        name,
        path,
        *,
        headers=None,
        connections=None,
        target=None,
        timeout="10s",
        duration=None,
    ):
        """Check one request answers 200, warm up, then load the path with wrk."""
        if group != "-" and not self.wanted(f"{group} {name}"):  # the floor always runs
            return None
        connections = connections or self.options.connections
        status, response_headers, body = self.request("GET", path, headers=headers)
        if status != 200:
            where = response_headers.get("Location", "")
            return self.add(
                Result(
                    group,
                    name,
                    connections,
                    verdict="FAIL",
                    note=f"{path} answered {status} {where}".strip(),
                )
            )
        if self.options.warmup:
            self.wrk(
                path,
                connections=connections,
                duration=self.options.warmup,
                headers=headers,
                timeout=timeout,
            )
        figures = self.wrk(
            path,
            connections=connections,
            timeout=timeout,
            headers=headers,
            duration=duration or self.options.duration,
        )
        rps = figures["requests"] / (figures["duration_us"] / 1e6)
        result = Result(
            group,
            name,
            connections,
            rps=rps,
            p50_ms=figures["p50_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
        )
        statuses = {int(code): n for code, n in figures["statuses"].items()}
        bad = {code: n for code, n in statuses.items() if code != 200}
        if bad or figures["socket_errors"] or figures["timeouts"]:
            result.verdict = "FAIL"
            result.note = (
                f"statuses {bad}, socket errors {figures['socket_errors']}, "
                f"timeouts {figures['timeouts']}"
            )
        else:
            result.note = f"{len(body) / 1024:.0f} KB"
        if target:
            ratio, p99 = target
            result.target = f"≥{ratio:.2f}× bare, p99<{p99:.0f} ms"
            result.budget = target
        return self.add(result)

    def wanted(self, name) -> bool:
        """Return whether BENCH_ONLY (a regular expression) selects the scenario."""
        return not self.options.only or bool(re.search(self.options.only, name))

    def add(self, result):
        self.results.append(result)
        print(f"  {result.group:>2} {result.name:<52} {self._figures(result)}", flush=True)
        return result

    def _figures(self, r):
        if r.rps is None:
            return r.note
        return f"{r.rps:8.1f} req/s  p50 {r.p50_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  {r.note}"

    # Scenarios.

    def run(self):
        from bench import targets

        bulk = self.options.bulk_users if self.wanted("5 API bulk enrollment") else 0
        self.targets = targets.prepare(bulk_users=bulk)
        from django.db import connections

        connections.close_all()
        paths = self.targets.paths
        print(f"Starting gunicorn ({self.options.workers} workers) on {HOST}:{self.port}…")
        self.start_server()
        try:
            learner = {"Cookie": self.sign_in(self.targets.learner_email, self.options.password)}
            instructor = {
                "Cookie": self.sign_in(self.targets.instructor_email, self.options.password)
            }
            api = {"Authorization": self.api_token()}
            wrk = f"-t{self.options.threads} -c{self.options.connections} -d{self.options.duration}"
            print(f"Scenarios (wrk {wrk}, warm-up {self.options.warmup or 'none'}):")
            for group, name, key, headers, extra in self.http_scenarios(learner, instructor, api):
                result = self.http_scenario(group, name, paths[key], headers=headers, **extra)
                if key == "bare" and result and result.rps:
                    self.bare_rps.append(result.rps)
                if key.startswith("gradebook"):
                    self._budget(result, "p99 < 1 s", lambda r: r.p99_ms < 1000)
            self.csv_over_http(instructor)
            self.bulk_api(api)
            result = self.http_scenario("-", "bare view (floor), at end", paths["bare"])
            if result and result.rps:
                self.bare_rps.append(result.rps)
        finally:
            self.stop_server()
        self.in_process()
        self.finish()

    def http_scenarios(self, learner, instructor, api):
        """Yield (group, name, path key, headers, wrk options) for each throughput scenario."""
        lesson, api_budget = {"target": LESSON_TARGET}, {"target": API_TARGET}
        slow = {"connections": 1, "timeout": "60s", "duration": self.options.slow_duration}
        learners = f"{self.targets.gradebook_learners:,} learners"
        yield "-", "bare view (floor), at start", "bare", {}, {}
        yield "1", "lesson page, signed-in learner", "lesson", learner, lesson
        yield "2", "course outline with progress", "outline", learner, lesson
        yield "2", "dashboard with progress", "dashboard", learner, lesson
        for size in (50, 100):
            for page in (1, 1000):
                name = f"API enrollments, {size} rows, page {page:,}"
                yield "3", name, f"api-list-{size}-{page}", api, api_budget
        for page in (1, 1000):
            name = f"API enrollments, all cohorts, 100 rows, page {page:,}"
            yield "3", name, f"api-list-all-{page}", api, api_budget
        yield "3", "API progress of one enrollment", "api-progress", api, api_budget
        for page in (1, 1000):
            name = f"API cohort progress, 50 rows, page {page:,}"
            yield "3", name, f"api-cohort-progress-{page}", api, api_budget
        yield "4", f"grading queue, {learners}", "queue", instructor, {}
        yield "4", f"gradebook page 1, {learners}", "gradebook", instructor, slow
        yield "4", f"gradebook page 50, {learners}", "gradebook-50", instructor, slow

    def _budget(self, result, target, check):
        if result is None or result.verdict == "FAIL":
            return
        result.target = target
        result.verdict = "ok" if check(result) else "MISS"

    def csv_over_http(self, headers):
        """Download the gradebook CSV once; time the first byte and the whole."""
        name = f"gradebook CSV over HTTP, {self.targets.gradebook_learners:,} rows"
        if not self.wanted(f"4 {name}"):
            return
        connection = HTTPConnection(HOST, self.port, timeout=300)
        started = time.perf_counter()
        connection.request("GET", self.targets.paths["gradebook-csv"], headers=headers)
        response = connection.getresponse()
        first = time.perf_counter() - started
        size, lines = 0, 0
        while chunk := response.read(64 * 1024):
            size += len(chunk)
            lines += chunk.count(b"\n")
        total = time.perf_counter() - started
        streamed = response.headers.get("Content-Length") is None
        connection.close()
        result = Result(
            "4",
            name,
            1,
            note=(
                f"status {response.status}, {total:.2f} s, first byte {first:.2f} s, "
                f"{size / 1e6:.1f} MB, {lines - 1:,} rows, "
                + ("streamed" if streamed else "NOT streamed")
            ),
        )
        result.target = "< 2 s, streamed"
        ok = response.status == 200 and total < 2 and streamed
        result.verdict = "ok" if ok else ("FAIL" if response.status != 200 else "MISS")
        self.add(result)

    def bulk_api(self, headers):
        """Enroll the bench learners with POST …/enrollments/bulk/, 1,000 items a request."""
        users = self.targets.bulk_users
        name = f"API bulk enrollment, {len(users):,} in {-(-len(users) // 1000)} requests"
        if not self.wanted(f"5 {name}"):
            return
        started, created, slowest = time.perf_counter(), 0, 0.0
        for number, start in enumerate(range(0, len(users), 1000)):
            items = [
                {"cohort": self.targets.bulk_cohort, "user": user}
                for user in users[start : start + 1000]
            ]
            before = time.perf_counter()
            try:
                status, _, body = self.request(
                    "POST",
                    self.targets.paths["bulk"],
                    body=json.dumps({"items": items}),
                    headers={
                        **headers,
                        "Content-Type": "application/json",
                        "Idempotency-Key": f"bench-bulk-{self.targets.bulk_cohort}-{number}",
                    },
                )
            except OSError as error:  # the worker timed out, or the server went away
                status, body = 0, str(error).encode()
            slowest = max(slowest, time.perf_counter() - before)
            if status != 200:
                self.add(Result("5", name, verdict="FAIL", note=f"answered {status}: {body[:200]}"))
                return
            created += sum(item["status"] == 201 for item in json.loads(body)["results"])
        total = time.perf_counter() - started
        result = Result(
            "5",
            name,
            1,
            target="< 10 s",
            note=(
                f"{total:.2f} s ({len(users) / total:,.0f} learners/s, slowest request "
                f"{slowest:.2f} s), {created:,} created"
            ),
        )
        result.verdict = "ok" if total < 10 and created == len(users) else "MISS"
        self.add(result)

    def in_process(self):
        """Run the scenarios measured inside one Python process, each in a fresh one."""
        print("In-process scenarios (Django test client and services, no server):")
        for scenario in ("csv-export", "roster", "import"):
            if not self.wanted(scenario):
                continue
            command = [
                sys.executable,
                "-m",
                "bench.inprocess",
                scenario,
                "--cohort",
                str(self.targets.gradebook_cohort),
                "--instructor",
                self.targets.instructor_email,
                "--rows",
                str(self.options.roster_rows),
            ]
            done = subprocess.run(  # noqa: S603
                command, cwd=BASE_DIR, capture_output=True, text=True, check=False
            )
            found = re.findall(r"^BENCH_RESULT (.*)$", done.stdout, re.MULTILINE)
            if done.returncode or not found:
                self.add(Result("-", scenario, verdict="FAIL", note=done.stderr[-500:]))
                continue
            for line in found:
                self.add(Result(**json.loads(line)))

    # The table.

    def finish(self):
        from bench import targets

        targets.cleanup()
        floor = sum(self.bare_rps) / len(self.bare_rps) if self.bare_rps else None
        for result in self.results:
            if floor and result.rps:
                result.ratio = result.rps / floor
            if result.budget and result.verdict != "FAIL" and result.ratio is not None:
                ratio, p99 = result.budget
                result.verdict = "ok" if result.ratio >= ratio and result.p99_ms < p99 else "MISS"
        self._compare_pages()
        print()
        print(self.header(floor))
        print(
            f"{'':2} {'scenario':<52} {'conn':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'×bare':>6}  {'target':<24} result"
        )
        for r in self.results:
            if r.rps is None:
                print(
                    f"{r.group:>2} {r.name:<52} {'':>4} {'—':>8} {'—':>8} {'—':>8} {'':>6}  "
                    f"{r.target:<24} {r.verdict:<5} {r.note}"
                )
                continue
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
            print(
                f"{r.group:>2} {r.name:<52} {r.connections:>4} {r.rps:>8.1f} {r.p50_ms:>8.1f} "
                f"{r.p99_ms:>8.1f} {ratio:>6}  {r.target:<24} {r.verdict:<5} {r.note}"
            )
        for note in self.targets.notes:
            print(f"Note: {note}")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = OUT / f"results-{stamp}.json"
        path.write_text(
            json.dumps(
                {"header": self.header(floor), "results": [asdict(r) for r in self.results]},
                indent=2,
            )
        )
        print(f"Raw figures: {path}; wrk output: {OUT / 'wrk.log'}")

    def _compare_pages(self):
        """Page 1,000 must cost what page 1 costs: note the ratio of their medians."""
        by_name = {r.name: r for r in self.results}
        for prefix in (
            "API enrollments, 50 rows",
            "API enrollments, 100 rows",
            "API enrollments, all cohorts, 100 rows",
            "API cohort progress, 50 rows",
        ):
            first, deep = by_name.get(f"{prefix}, page 1"), by_name.get(f"{prefix}, page 1,000")
            if first and deep and first.p50_ms and deep.p50_ms:
                slower = deep.p50_ms / first.p50_ms
                deep.note += f"; p50 {slower:.2f}× page 1"
                if slower > 1.5 and deep.verdict == "ok":
                    deep.verdict = "MISS"

    def header(self, floor):
        from django.conf import settings

        database = settings.DATABASES["default"]
        floors = ", ".join(f"{rps:.0f}" for rps in self.bare_rps)
        return (
            f"Benchmark: {self.targets.learners:,} learners, PostgreSQL {database['NAME']}, "
            f"gunicorn {self.options.workers} sync workers on {os.cpu_count()} cores, "
            f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; "
            f"bare view {floors} req/s (mean {floor or 0:.0f}, the 1.00× of ×bare)"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8765)))
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2))
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 2)))
    parser.add_argument(
        "--server-threads",
        type=int,
        default=int(os.environ.get("BENCH_SERVER_THREADS", 1)),
        help="gunicorn threads per worker (more than 1 uses the gthread worker)",
    )
    parser.add_argument(
        "--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", 8))
    )
    parser.add_argument("--duration", default=os.environ.get("BENCH_DURATION", "10s"))
    parser.add_argument("--slow-duration", default=os.environ.get("BENCH_SLOW_DURATION", "20s"))
    parser.add_argument("--warmup", default=os.environ.get("BENCH_WARMUP", "2s"))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--bulk-users", type=int, default=10_000)
    parser.add_argument("--roster-rows", type=int, default=10_000)
    parser.add_argument("--password", default="")
    options = parser.parse_args()
    django.setup()
    from courseware.management.commands.generate_load_data import LOAD_PASSWORD

    options.password = options.password or LOAD_PASSWORD
    OUT.mkdir(parents=True, exist_ok=True)
    Bench(options).run()


if __name__ == "__main__":
    main()
