# Helpers shared by the scripts in this folder; source it, don't run it.
# Every script cds to the project root first, so paths here are relative to it.

say() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# load_dotenv: read KEY=VALUE lines from ${ENV_FILE:-.env} (if present) into the
# environment. Variables already set in the environment win over the file, so
# `DATABASE_URL=... make run` overrides .env. ENV_FILE=/dev/null ignores .env.
load_dotenv() {
    local file="${ENV_FILE:-.env}" line key value
    [ -f "$file" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        line="${line%$'\r'}"
        line="${line#"${line%%[![:space:]]*}"}"
        case "$line" in '' | '#'*) continue ;; esac
        line="${line#export }"
        case "$line" in *=*) ;; *) continue ;; esac
        key="${line%%=*}"
        value="${line#*=}"
        [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        [ -z "${!key+set}" ] || continue
        case "$value" in
            \"*\") value="${value:1:${#value}-2}" ;;
            \'*\') value="${value:1:${#value}-2}" ;;
        esac
        export "$key=$value"
    done <"$file"
}
