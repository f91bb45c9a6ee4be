# Sourced by bin/run and bin/test: create .venv with Python 3.11 and install a lock file.
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    base_python="$(command -v python3.11 || command -v python3)"
    "$base_python" -m venv "$VENV"
fi

venv_install() {
    # Skip pip when the lock file has not changed since the last install into this venv.
    local lock="$1" stamp="$VENV/.installed-$(basename "$1")"
    if [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then
        return
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
    cp "$lock" "$stamp"
}
