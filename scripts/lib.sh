# Shared steps of scripts/run and scripts/test; sourced, never run on its own.
# Every step checks before it acts, so a second run on a ready machine takes seconds.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root; run it as root, then run this script again."
    fi
}

# Print the first Python 3.11+ interpreter found (HUB_PYTHON first, when set).
find_python() {
    local candidate
    for candidate in "${HUB_PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    die "the hub needs Python 3.11 or newer: apt-get install -y python3 python3-venv"
}

# What the installed environment was built from: pyproject.toml, the top-level packages
# (an editable install maps only those present when it ran) and the extras asked for.
_install_fingerprint() {
    local extras="$1" digest
    digest="$(
        {
            cat "$ROOT/pyproject.toml"
            (cd "$ROOT" && ls -d -- */__init__.py 2>/dev/null || true)
        } | sha256sum | cut -d' ' -f1
    )"
    printf '%s %s\n' "$digest" "$extras"
}

# Create .venv and install the hub into it, editable; "dev" adds the test and lint tools.
# Skipped when nothing it depends on changed since the last successful install.
ensure_venv() {
    local extras="$1" stamp="$VENV/.hub-install-stamp" want base have python
    want="$(_install_fingerprint "$extras")"
    base="${want% *}"
    if [ -x "$VENV/bin/hub" ] && [ -f "$stamp" ] && "$VENV/bin/python" -I -c 'import hub' 2>/dev/null; then
        have="$(cat "$stamp")"
        # A dev install also serves a plain run.
        if [ "$have" = "$want" ] || { [ "$extras" = runtime ] && [ "$have" = "$base dev" ]; }; then
            say "Python packages are up to date (.venv)."
            return 0
        fi
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        python="$(find_python)"
        say "Creating .venv with $("$python" --version 2>&1)."
        if ! "$python" -m venv "$VENV" 2>/dev/null; then
            # Debian ships venv's pip bootstrap separately.
            rm -rf "$VENV"
            say "Installing Debian's python3-venv."
            as_root apt-get update -q
            as_root apt-get install -y -q python3-venv
            "$python" -m venv "$VENV"
        fi
    fi
    local target="$ROOT"
    [ "$extras" = dev ] && target="$ROOT[dev]"
    say "Installing the hub and its dependencies ($extras) into .venv."
    rm -f "$stamp"
    "$VENV/bin/python" -m pip install --quiet --progress-bar off -e "$target"
    printf '%s\n' "$want" >"$stamp"
}

# Write config.toml with a fresh random secret key, unless a configuration file exists.
ensure_config() {
    local file="${HUB_CONFIG:-$ROOT/config.toml}" key
    if [ -f "$file" ]; then
        say "Using the configuration in $file."
        return 0
    fi
    key="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')"
    (
        umask 077
        cat >"$file" <<TOML
# Settings of this installation, written by scripts/run on $(date -u +%Y-%m-%d).
# Keep this file private and out of git (it is git-ignored): it holds the secret key.
# Every setting, with its default, is described in config.example.toml.

[hub]
secret_key = "$key"
TOML
    )
    say "Wrote $file with a new random secret key."
}
