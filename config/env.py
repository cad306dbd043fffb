"""Small typed readers for settings that come from the environment.

Every variable read here is documented in `.env.example` at the project root.
"""

import os
import secrets
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=()):
    value = os.environ.get(name)
    if not value:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_key_from(var_dir: Path):
    """SECRET_KEY from the environment, else one generated once into var/."""
    value = os.environ.get("SECRET_KEY")
    if value:
        return value
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def embedded_site_url():
    """The address `make run` serves and prints (scripts/run.sh): HOST and PORT, http unless HTTPS is on."""
    host = os.environ.get("HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = os.environ.get("PORT") or "8000"
    scheme = "https" if env_bool("HTTPS", False) else "http"
    return f"{scheme}://{host}:{port}"
