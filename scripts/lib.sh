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

# Install Debian packages, refreshing the package lists once per script run.
apt_install() {
    if [ -z "${_HUB_APT_UPDATED:-}" ]; then
        as_root apt-get update -q
        _HUB_APT_UPDATED=1
    fi
    as_root apt-get install -y -q "$@"
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
            apt_install python3-venv
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

# Run a command as the postgres OS user, which Debian lets in through the local socket (peer).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        (cd / && "$@")
    elif [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    elif command -v sudo >/dev/null 2>&1; then
        (cd / && sudo -u postgres -- "$@")
    else
        die "'$*' must run as the postgres user; run this script as root."
    fi
}

# Print the versions of the PostgreSQL servers installed by Debian's packages, newest last.
_pg_server_versions() {
    local binary
    for binary in /usr/lib/postgresql/*/bin/postgres; do
        if [ -x "$binary" ]; then
            basename "$(dirname "$(dirname "$binary")")"
        fi
    done | sort -V
}

# Succeed when the tests' PostgreSQL role signs in on 127.0.0.1:5432 (password in $1, if any).
_pg_login_works() {
    local -a with_password=()
    [ -z "${1:-}" ] || with_password=(env "PGPASSWORD=$1")
    command -v psql >/dev/null 2>&1 || return 1
    "${with_password[@]}" psql -X -w -q -h 127.0.0.1 -p 5432 -U postgres -d postgres \
        -c 'select 1' </dev/null >/dev/null 2>&1
}

# Install PostgreSQL when absent, create its cluster when there is none, start it when down.
_pg_install_and_start() {
    local version cluster
    if [ -z "$(_pg_server_versions)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
        say "Installing Debian's postgresql for the tests."
        apt_install postgresql
    fi
    version="$(_pg_server_versions | tail -n 1)"
    [ -n "$version" ] || die "apt-get installed no PostgreSQL server."
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        say "Creating the PostgreSQL $version cluster 'main'."
        as_root pg_createcluster "$version" main
    fi
    if pg_isready -q -h 127.0.0.1 -p 5432; then
        return 0
    fi
    cluster="$(pg_lsclusters -h | awk '$3 == 5432 { print $1, $2; exit }')"
    [ -n "$cluster" ] || die "no local PostgreSQL cluster uses port 5432 (pg_lsclusters);" \
        "name a server with HUB_TEST_PG_URL, or run the SQLite half only with HUB_TEST_BACKENDS=sqlite."
    say "Starting PostgreSQL $cluster."
    # shellcheck disable=SC2086 # "$version $name", split on purpose
    as_root pg_ctlcluster --skip-systemctl-redirect $cluster start \
        || die "could not start PostgreSQL $cluster (see /var/log/postgresql/)."
    for _ in $(seq 30); do
        pg_isready -q -h 127.0.0.1 -p 5432 && return 0
        sleep 1
    done
    die "PostgreSQL did not come up on 127.0.0.1:5432 (see /var/log/postgresql/)."
}

# Make sure the tests can sign in to the local PostgreSQL as postgres, and export
# HUB_TEST_PG_URL with a password when the server asks for one. Where 127.0.0.1 is trusted
# nothing is changed; otherwise (Debian's default, scram) the postgres role gets a random
# password, kept in a file of this user, but only while that role has none: an existing
# password is never replaced.
ensure_test_postgres() {
    local file="${XDG_STATE_HOME:-$HOME/.local/state}/concierge-hub/test-postgres-password"
    local password="" has_password
    if [ -n "${HUB_TEST_PG_URL:-}" ]; then
        say "Testing against the PostgreSQL server named by HUB_TEST_PG_URL."
        return 0
    fi
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && _pg_login_works; then
        return 0
    fi
    _pg_install_and_start
    if _pg_login_works; then
        return 0
    fi
    [ -r "$file" ] && password="$(cat "$file")"
    if [ -z "$password" ] || ! _pg_login_works "$password"; then
        has_password="$(as_postgres psql -X -w -q -tA -d postgres \
            -c "select rolpassword is not null from pg_authid where rolname = 'postgres'" </dev/null)" \
            || die "cannot reach PostgreSQL as the postgres user through the local socket."
        if [ "$has_password" != f ]; then
            die "PostgreSQL asks the postgres role for a password this script does not know;" \
                "set HUB_TEST_PG_URL=postgresql+psycopg://postgres:PASSWORD@127.0.0.1:5432/postgres."
        fi
        if [ -z "$password" ]; then
            password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
            mkdir -p "$(dirname "$file")"
            (umask 077 && printf '%s\n' "$password" >"$file")
        fi
        say "Giving the postgres role a password for the tests (kept in $file)."
        # Through stdin, so the password never shows in the process list.
        printf "ALTER ROLE postgres PASSWORD '%s';\n" "$password" \
            | as_postgres psql -X -w -q -v ON_ERROR_STOP=1 -d postgres >/dev/null \
            || die "could not set a password for the postgres role."
        _pg_login_works "$password" \
            || die "the postgres role still cannot sign in on 127.0.0.1:5432 with its new password."
    fi
    export HUB_TEST_PG_URL="postgresql+psycopg://postgres:$password@127.0.0.1:5432/postgres"
}
