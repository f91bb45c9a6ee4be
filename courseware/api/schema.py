"""OpenAPI details drf-spectacular cannot infer: each operation's scope, and problem responses."""

from drf_spectacular.hooks import postprocess_schema_enums
from drf_spectacular.openapi import AutoSchema

from .errors import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "On a 400: the messages for each invalid field.",
            "additionalProperties": {},
        },
    },
    "required": ["type", "title", "status"],
}
DESCRIPTIONS = {
    "400": "Invalid fields (see `errors`).",
    "401": "No valid token.",
    "403": "The token lacks this operation's scope.",
    "404": "No such resource among yours.",
    "409": "Conflicts with the current state.",
    "429": "Rate limit reached; see Retry-After.",
}


class ScopedAutoSchema(AutoSchema):
    def get_auth(self):
        view = self.view
        scope = getattr(view, "action_scopes", {}).get(getattr(view, "action", None))
        if scope is None:
            reading = self.method in ("GET", "HEAD", "OPTIONS")
            scope = view.read_scope if reading else view.write_scope
        # super() registers the security schemes; the OAuth2 entry names this view's scope,
        # which drf-spectacular cannot read from our permission class.
        others = [entry for entry in super().get_auth() if "oauth2" not in entry]
        return [{"oauth2": [scope]}, *others]


def add_problem_responses(result, generator, **kwargs):
    """Document the problem-details answers every operation can give."""
    result = postprocess_schema_enums(result, generator)
    result["components"].setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            codes = ["401", "403", "429"]
            if method in ("post", "put", "patch"):
                codes += ["400", "409"]
            if "{" in path:
                codes.append("404")
            for code in codes:
                operation["responses"].setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}},
                    },
                )
    return result
