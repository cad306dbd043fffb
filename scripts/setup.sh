#!/usr/bin/env bash
# `make setup`: bring this checkout to a runnable state. Safe to run again and
# again; every step skips itself when there is nothing to do.
#
#   1. Debian packages (only when one is missing): translations, fonts and
#      libraries for PDF reports, chromium for browser tests.
#   2. .venv with Python 3.11 (or python3), requirements.txt installed
#      (skipped while requirements.txt is unchanged since the last install).
#   3. compilemessages, migrate, collectstatic.
#
# Uses DATABASE_URL when set, else SQLite under VAR_DIR (default var/).
# SKIP_SYSTEM_PACKAGES=1 skips step 1 (e.g. without root on a prepared machine).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
load_dotenv

DEBIAN_PACKAGES=(
    gettext                              # compilemessages (msgfmt)
    fonts-noto-cjk                       # Chinese glyphs in PDF reports and the browser
    libharfbuzz-subset0                  # WeasyPrint font subsetting
    libpango-1.0-0 libpangoft2-1.0-0     # WeasyPrint text layout
    poppler-utils                        # pdftotext, used to check generated PDFs
    chromium                             # Playwright browser tests (no browser download)
    python3-venv                         # `python3 -m venv` on Debian
    curl                                 # scripts/smoke_embedded.sh
    redis-server                         # the broker in production and CI; the health tests stop one of their own
    gcc python3-dev libldap2-dev libsasl2-dev  # building python-ldap (django-auth-ldap) from source
    slapd ldap-utils                     # a throwaway LDAP server the tests start (tests/campaign/ldap_server.py)
)

install_debian_packages() {
    if [ "${SKIP_SYSTEM_PACKAGES:-}" = 1 ]; then
        return 0
    fi
    if [ ! -f /etc/debian_version ] || ! command -v dpkg-query >/dev/null; then
        warn "not Debian: install by hand the equivalents of: ${DEBIAN_PACKAGES[*]}"
        return 0
    fi
    local missing=() pkg
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null ||
            die "missing Debian packages: ${missing[*]} (install them as root, or set SKIP_SYSTEM_PACKAGES=1)"
        sudo=(sudo)
    fi
    say "installing Debian packages: ${missing[*]}"
    # slapd: install the program only. Without this answer its package would set up
    # (and start) a system directory of its own; the tests run their own slapd.
    echo "slapd slapd/no_configuration boolean true" | "${sudo[@]}" debconf-set-selections
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    die "Python 3.10+ not found (Django 5.2 needs it); install python3.11 or set PYTHON=/path/to/python"
}

make_venv() {
    if [ -x .venv/bin/python ] && .venv/bin/python -c 'import sys' 2>/dev/null; then
        return 0
    fi
    local python
    python="$(find_python)"
    say "creating .venv with $python ($("$python" --version 2>&1))"
    rm -rf .venv
    "$python" -m venv .venv
}

install_requirements() {
    local stamp=.venv/.requirements.sha256 wanted
    wanted="$( (sha256sum requirements.txt; .venv/bin/python --version) | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    say "installing requirements.txt into .venv"
    .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -q -r requirements.txt
    echo "$wanted" >"$stamp"
}

django_steps() {
    local manage=(.venv/bin/python manage.py)
    if [ -n "$(find . -path ./.venv -prune -o -path ./node_modules -prune -o -name '*.po' -print -quit)" ]; then
        "${manage[@]}" compilemessages --ignore=.venv --ignore=node_modules -v 0
    fi
    "${manage[@]}" migrate --noinput
    "${manage[@]}" collectstatic --noinput -v 0
}

install_debian_packages

# One setup at a time per checkout: pip and migrate must not race each other.
mkdir -p var
exec 9>var/.setup.lock
if command -v flock >/dev/null; then
    flock 9
fi

make_venv
install_requirements
django_steps
