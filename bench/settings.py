"""The project's settings, with the bench URLs (a bare view beside the site) for bench/run."""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, CACHES, DATABASES

ROOT_URLCONF = "bench.urls"
# collectstatic for the bench writes here, never over the site's own STATIC_ROOT.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"
if "KEY_PREFIX" in CACHES["default"]:
    # One Redis serves several bench databases: keep their cached outlines apart.
    CACHES["default"]["KEY_PREFIX"] = f"bench-{DATABASES['default']['NAME']}"
