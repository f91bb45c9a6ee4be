"""How django-axes names the account a sign-in attempt is for."""


def attempted_account(request, credentials) -> str | None:
    """The address typed at sign-in, case-folded: `Ann@X.org` and `ann@x.org` are one account
    (sign-in is case-insensitive), so changing case cannot dodge the per-account limit."""
    credentials = credentials or {}
    username = credentials.get("username") or credentials.get("email")
    if not username and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get("username") or data.get("email")
    return username.strip().casefold() if isinstance(username, str) and username.strip() else None
