# Shared by scripts/run and scripts/test. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

APT_UPDATED=""
# apt_install PACKAGE... : installs the Debian/Ubuntu packages that are missing.
apt_install() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
            || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "please install: ${missing[*]}"
    say "Installing system packages: ${missing[*]}"
    if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# Django 6 needs Python 3.12 or newer. pyenv (via .python-version), then the system.
find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    for candidate in "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
        [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
    return 1
}

ensure_python() {
    PYTHON="$(find_python)" || {
        apt_install python3 python3-venv
        PYTHON="$(find_python)" || die "Courriel needs Python 3.12 or newer (Debian 13, Ubuntu 24.04,
or pyenv). Install python3.13 (or python3.12) with its venv module, then run this again."
    }
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        local version; version="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install "python$version-venv"
    fi
}

# ensure_venv REQUIREMENTS_FILE : a virtualenv in .venv with those requirements.
ensure_venv() {
    ensure_python
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
        say "Creating $VENV with $PYTHON"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    # Skip pip when these requirement files were installed already.
    local stamp="$VENV/.installed-$1-$(cat "$1" requirements.txt | sha256sum | cut -c1-16)"
    if [ ! -e "$stamp" ]; then
        say "Installing Python packages from $1"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -r "$1"
        rm -f "$VENV/.installed-$1-"*; touch "$stamp"
    fi
}

compile_translations() {
    apt_install gettext
    DEBUG=true VAR_DIR="${VAR_DIR:-$ROOT/var}" "$VENV/bin/python" manage.py compilemessages \
        --ignore ".venv" -v 0
}
