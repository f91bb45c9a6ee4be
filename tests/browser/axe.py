"""Check a page with axe-core, installed from npm (package.json) into node_modules/."""

from functools import cache
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(
            f"axe-core is missing ({AXE_JS}): run `npm ci` at the repository root "
            "(bin/test does it).",
            pytrace=False,
        )
    return AXE_JS.read_text(encoding="utf-8")


# With JavaScript disabled, Chromium still runs Playwright's evaluations but never fires their
# timers, and axe waits on setTimeout between rules: run those callbacks as microtasks.
TIMERS_AS_MICROTASKS = """() => {
  window.setTimeout = (callback, delay, ...args) => {
    Promise.resolve().then(() => callback(...args));
    return 0;
  };
  window.clearTimeout = () => {};
}"""


def axe_violations(page, *, scripts_disabled: bool = False) -> list[dict]:
    """Return the page's serious and critical axe-core violations."""
    page.wait_for_load_state()  # Stylesheets applied: contrast is measured on the real page.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        if scripts_disabled:
            page.evaluate(TIMERS_AS_MICROTASKS)
        # Evaluated rather than added as a <script>, which a page without JavaScript ignores.
        page.evaluate(f"{_axe_source()}\n;undefined")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [rule for rule in results["violations"] if rule["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict], where: str) -> str:
    """Return a readable report: rule, impact, help, the elements and where to read more."""
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {where}:"]
    for rule in violations:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']}")
        for node in rule["nodes"][:10]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}")
            if node.get("failureSummary"):
                summary = " ".join(node["failureSummary"].split())
                lines.append(f"      {summary[:300]}")
        if len(rule["nodes"]) > 10:
            lines.append(f"    … and {len(rule['nodes']) - 10} more elements")
        lines.append(f"    {rule['helpUrl']}")
    return "\n".join(lines)


def assert_accessible(page, *, scripts_disabled: bool = False) -> None:
    """Fail when axe-core finds a serious or critical violation on the page as it is now."""
    violations = axe_violations(page, scripts_disabled=scripts_disabled)
    assert not violations, describe(violations, page.url)
