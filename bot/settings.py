"""Where the product lives on disk, and every setting it reads from the environment.

Each environment variable is read here and nowhere else, with its default in
one place: ``settings()`` for the current process, ``load(environ)`` for any
mapping (tests, the launcher building its children's environment). An unset
or blank variable takes the default. Contact numbers are not here: their
defaults and overrides are bot/content/contacts.yml.

``settings()`` parses the environment once and returns the same frozen object
while the variables it reads keep their values; when one changes (a test's
``monkeypatch.setenv``), the next call parses again, so nothing has to reset
it. Plain Python, no Rasa: every layer may import it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'assistant.db'}"
DEFAULT_TRACKER_DB = str(VAR_DIR / "trackers.db")
# Where `make run` keeps the secrets it generated (bot/ops/launcher.py).
RUN_SECRETS_FILE = VAR_DIR / "run-secrets.env"
DEFAULT_RATE_LIMIT_MESSAGES = 30
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 60.0
DEFAULT_MESSAGE_TIMEOUT_SECONDS = 20.0
DEFAULT_TRACKER_COMPACT_EVENTS = 40
DEFAULT_ACTION_HOST = "127.0.0.1"
DEFAULT_ACTION_PORT = 5055
DEFAULT_RASA_PORT = 5005
DEFAULT_WEB_PORT = 8080
DEFAULT_WEB_HOST = "127.0.0.1"
DEFAULT_PUBLIC_HOST = "localhost"
DEFAULT_RASA_ENDPOINTS = "endpoints.yml"
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_REPLICAS = 2
DEFAULT_RASA_INTERFACE = "127.0.0.1"
# The claims center (docs/claims.md)
DEFAULT_CLAIMS_STORAGE_DIR = str(VAR_DIR / "claims")
DEFAULT_CLAIMS_MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_CLAIMS_MAX_FILES = 20
DEFAULT_CLAIMS_MAX_CLAIM_BYTES = 100 * 1024 * 1024
DEFAULT_CLAIMS_BUSINESS_TIME_ZONE = "America/New_York"
DEFAULT_CLAIMS_BUSINESS_DAY_END = "17:00"
DEFAULT_CLAIMS_UPLOAD_LINK_HOURS = 72.0
DEFAULT_CLAIMS_MEDIA_TIMEOUT_SECONDS = 20.0
DEFAULT_CLAIMS_WORKER_POLL_SECONDS = 2.0
DEFAULT_SMS_QUIET_HOURS = "21:00-09:00"
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_LB_PORT = 8090
# A replica's name ends up in nginx's routing map (deploy/nginx/), so keep it plain.
REPLICA_NAME = re.compile(r"^[a-z0-9]{1,16}$")
DEFAULT_VERIFY_LOCKOUT_FAILURES = 5
DEFAULT_VERIFY_LOCKOUT_CLIENT_FAILURES = 10
DEFAULT_VERIFY_LOCKOUT_SECONDS = 3600.0
DEFAULT_VERIFICATION_IDLE_SECONDS = 900.0
DEFAULT_DELIVERY_MEMORY_SECONDS = 7 * 24 * 3600.0
DEFAULT_REDIS_PORT = 6379

# Every variable ``load`` reads (a change to any of them makes ``settings()`` parse again).
VARIABLES = (
    "DATABASE_URL",
    "ASSISTANT_TODAY",
    "RATE_LIMIT_MESSAGES",
    "RATE_LIMIT_WINDOW_SECONDS",
    "MESSAGE_TIMEOUT_SECONDS",
    "TRACKER_COMPACT_EVENTS",
    "TRACKER_DB",
    "CORS_ORIGINS",
    "ACTION_HOST",
    "ACTION_SERVER_TOKEN",
    "ACTION_PORT",
    "RASA_PORT",
    "WEB_PORT",
    "WEB_HOST",
    "PUBLIC_HOST",
    "RASA_URL",
    "ACTION_SERVER_URL",
    "RASA_ENDPOINTS",
    "RASA_JWT_SECRET",
    "LOG_LEVEL",
    "TWILIO_AUTH_TOKEN",
    "SMS_PUBLIC_URL",
    "SMS_SENDER_KEY",
    "REPLICAS",
    "RASA_INTERFACE",
    "CLAIMS_STORAGE_DIR",
    "CLAIMS_MAX_FILE_BYTES",
    "CLAIMS_MAX_FILES",
    "CLAIMS_MAX_CLAIM_BYTES",
    "CLAIMS_BUSINESS_TIME_ZONE",
    "CLAIMS_BUSINESS_DAY_END",
    "CLAIMS_UPLOAD_SECRET",
    "CLAIMS_UPLOAD_LINK_HOURS",
    "CLAIMS_MEDIA_TIMEOUT_SECONDS",
    "CLAIMS_WORKER_POLL_SECONDS",
    "CONTACT_ENCRYPTION_KEY",
    "SMS_QUIET_HOURS",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_FROM_NUMBER",
    "TWILIO_API_URL",
    "TWILIO_MEDIA_HOSTS",
    "WEB_PUBLIC_URL",
    "WIDGET_PUSH_URL",
    "WIDGET_PUSH_TOKEN",
    "LB_PORT",
    "REPLICA_NAME",
    "ASSISTANT_SECRET_KEY",
    "METRICS_TOKEN",
    "VERIFY_LOCKOUT_FAILURES",
    "VERIFY_LOCKOUT_CLIENT_FAILURES",
    "VERIFY_LOCKOUT_SECONDS",
    "VERIFICATION_IDLE_SECONDS",
    "DELIVERY_MEMORY_SECONDS",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "REDIS_DB",
)
# Secrets the launcher generates for a run when they are unset (``generated_secrets``).
GENERATED_SECRETS = ("ACTION_SERVER_TOKEN", "ASSISTANT_SECRET_KEY")


class SettingError(ValueError):
    """An environment variable holds a value of the wrong kind."""


@dataclass(frozen=True)
class Settings:
    # Data
    database_url: str = DEFAULT_DATABASE_URL  # DATABASE_URL (PostgreSQL in production)
    assistant_today: date | None = None  # ASSISTANT_TODAY (YYYY-MM-DD) pins "today" for demos and tests
    # The Rasa server
    rate_limit_messages: int = DEFAULT_RATE_LIMIT_MESSAGES  # per sender and window
    rate_limit_window_seconds: float = DEFAULT_RATE_LIMIT_WINDOW_SECONDS
    message_timeout_seconds: float = DEFAULT_MESSAGE_TIMEOUT_SECONDS  # longest wait for a reply
    tracker_compact_events: int = DEFAULT_TRACKER_COMPACT_EVENTS  # 0 turns compaction off
    tracker_db: str = DEFAULT_TRACKER_DB  # the SQLite tracker store (endpoints.yml)
    rasa_endpoints: str = DEFAULT_RASA_ENDPOINTS  # deploy/endpoints.production.yml in production
    rasa_jwt_secret: str = ""  # "" keeps Rasa's HTTP API off
    # CORS_ORIGINS as given (space-separated), () when unset; see ``cors_origins``.
    cors_origins_configured: tuple[str, ...] = ()
    # The action server
    action_host: str = DEFAULT_ACTION_HOST
    action_port: int = DEFAULT_ACTION_PORT
    action_server_token: str | None = None  # None: no token
    action_server_url_configured: str = ""  # ACTION_SERVER_URL; see ``action_server_url``
    # Ports and public addresses
    rasa_port: int = DEFAULT_RASA_PORT
    web_port: int = DEFAULT_WEB_PORT
    web_host: str = DEFAULT_WEB_HOST  # the interface the web app listens on
    public_host: str = DEFAULT_PUBLIC_HOST  # the host name browsers use
    rasa_url_configured: str = ""  # RASA_URL; see ``rasa_url``
    # Logs
    log_level: str = DEFAULT_LOG_LEVEL
    # The SMS channel (credentials.yml values win over these)
    twilio_auth_token: str = ""
    sms_public_url: str = ""
    sms_sender_key: str = ""
    # `make topology`
    replicas: int = DEFAULT_REPLICAS  # Rasa replicas (and action servers)
    rasa_interface: str = DEFAULT_RASA_INTERFACE  # where a replica listens (a private network in production)
    # The claims center (docs/claims.md)
    claims_storage_dir: str = DEFAULT_CLAIMS_STORAGE_DIR  # documents, outside the web root
    claims_max_file_bytes: int = DEFAULT_CLAIMS_MAX_FILE_BYTES
    claims_max_files: int = DEFAULT_CLAIMS_MAX_FILES  # documents per claim
    claims_max_claim_bytes: int = DEFAULT_CLAIMS_MAX_CLAIM_BYTES  # all of a claim's documents
    claims_business_time_zone: str = DEFAULT_CLAIMS_BUSINESS_TIME_ZONE  # the review clock's zone
    claims_business_day_end: time = time(17, 0)  # received at or after this counts from the next business day
    claims_upload_secret: str = ""  # "" turns upload links off
    claims_upload_link_hours: float = DEFAULT_CLAIMS_UPLOAD_LINK_HOURS
    claims_media_timeout_seconds: float = DEFAULT_CLAIMS_MEDIA_TIMEOUT_SECONDS  # one MMS media download
    claims_worker_poll_seconds: float = DEFAULT_CLAIMS_WORKER_POLL_SECONDS
    # Fernet keys, newest first; encrypts the SMS numbers claim updates go to ("" = none stored).
    contact_encryption_keys: tuple[str, ...] = ()
    # No texts between these local times of the customer; None: no quiet hours.
    sms_quiet_hours: tuple[time, time] | None = (time(21, 0), time(9, 0))
    # Twilio's REST API (claim status texts, MMS media)
    twilio_account_sid: str = ""
    twilio_from_number: str = ""
    twilio_api_url: str = DEFAULT_TWILIO_API_URL  # a local stand-in in tests
    twilio_media_hosts: tuple[str, ...] = ()  # hosts media may redirect to, besides TWILIO_API_URL's
    web_public_url_configured: str = ""  # WEB_PUBLIC_URL; see ``web_public_url``
    widget_push_url: str = ""  # the Rasa server's push endpoint for live widgets ("" = next visit only)
    widget_push_token: str = ""
    lb_port: int = DEFAULT_LB_PORT  # nginx in front of the replicas and the web app
    # Starts this replica's socket.io session ids, so the load balancer sends
    # every request of a session back here; "" (one server) leaves them as they are.
    replica_name: str = ""
    # Trust (docs/security.md)
    # The key every signature, client hash and tracker encryption is derived
    # from (bot/domain/keys.py); "" = unset, and the processes that need it refuse to start.
    secret_key: str = ""
    metrics_token: str = ""  # "" keeps both metrics endpoints off
    # Verification failures allowed per VIN and per contract, and per client
    # (IP or phone), within the lockout window; then the customer is told to call.
    verify_lockout_failures: int = DEFAULT_VERIFY_LOCKOUT_FAILURES
    verify_lockout_client_failures: int = DEFAULT_VERIFY_LOCKOUT_CLIENT_FAILURES
    verify_lockout_seconds: float = DEFAULT_VERIFY_LOCKOUT_SECONDS
    # A verification lapses after this long without a personal answer.
    verification_idle_seconds: float = DEFAULT_VERIFICATION_IDLE_SECONDS
    # How long a delivery (an SMS MessageSid) is remembered to answer its replays once.
    delivery_memory_seconds: float = DEFAULT_DELIVERY_MEMORY_SECONDS
    # Shared state (failure counters, seen deliveries) goes to Redis when REDIS_HOST
    # is set (the lock store's variables), else to the contracts database.
    redis_host: str = ""
    redis_port: int = DEFAULT_REDIS_PORT
    redis_password: str = ""
    redis_db: int = 0

    @property
    def action_server_url(self) -> str:
        """ACTION_SERVER_URL, else the webhook on ``action_port`` (loopback)."""
        return self.action_server_url_configured or f"http://127.0.0.1:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        """RASA_URL (where browsers reach Rasa), else ``public_host`` and ``rasa_port``; no trailing /."""
        return (self.rasa_url_configured or f"http://{self.public_host}:{self.rasa_port}").rstrip("/")

    @property
    def web_url(self) -> str:
        return f"http://{self.public_host}:{self.web_port}"

    @property
    def web_public_url(self) -> str:
        """WEB_PUBLIC_URL (upload links, Twilio status callbacks), else ``web_url``; no trailing /."""
        return (self.web_public_url_configured or self.web_url).rstrip("/")

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """CORS_ORIGINS, else the web app's own origins (the launcher passes these to Rasa)."""
        return self.cors_origins_configured or (self.web_url, f"http://127.0.0.1:{self.web_port}")

    def exported(self) -> dict[str, str]:
        """The resolved values a child process must see: endpoints.yml's ``${...}``
        (Rasa refuses a missing one) and what the launcher derived from the ports."""
        return {
            "RASA_PORT": str(self.rasa_port),
            "ACTION_PORT": str(self.action_port),
            "WEB_PORT": str(self.web_port),
            "PUBLIC_HOST": self.public_host,
            "ACTION_SERVER_URL": self.action_server_url,
            "ACTION_SERVER_TOKEN": self.action_server_token or "",
            "RASA_URL": self.rasa_url,
            "CORS_ORIGINS": " ".join(self.cors_origins),
            "TRACKER_DB": self.tracker_db,
            "RASA_ENDPOINTS": self.rasa_endpoints,
        }


def load(environ: Mapping[str, str]) -> Settings:
    """The settings ``environ`` describes; raises SettingError for a malformed value."""

    def text(name: str) -> str:
        return (environ.get(name) or "").strip()

    def number(name: str, kind: type[int] | type[float], default: float) -> float:
        raw = text(name)
        if not raw:
            return default
        try:
            return kind(raw)
        except ValueError:
            raise SettingError(f"{name}={raw!r} is not a number") from None

    def integer(name: str, default: int) -> int:
        return int(number(name, int, default))

    def clock_time(name: str, raw: str) -> time:
        try:
            return time.fromisoformat(raw)
        except ValueError:
            raise SettingError(f"{name}={raw!r} is not a time such as 17:00") from None

    def quiet_hours() -> tuple[time, time] | None:
        raw = text("SMS_QUIET_HOURS") or DEFAULT_SMS_QUIET_HOURS
        if raw.lower() == "off":
            return None
        start, sep, end = raw.partition("-")
        if not sep:
            raise SettingError(f"SMS_QUIET_HOURS={raw!r} is not START-END (21:00-09:00) or off")
        return clock_time("SMS_QUIET_HOURS", start.strip()), clock_time("SMS_QUIET_HOURS", end.strip())

    def time_zone(name: str, default: str) -> str:
        raw = text(name) or default
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingError(f"{name}={raw!r} is not an IANA time zone such as America/New_York") from None
        return raw

    def words(name: str, separator: str | None = None) -> tuple[str, ...]:
        return tuple(w.strip() for w in text(name).split(separator) if w.strip())

    today = text("ASSISTANT_TODAY")
    try:
        pinned = date.fromisoformat(today) if today else None
    except ValueError:
        raise SettingError(f"ASSISTANT_TODAY={today!r} is not a YYYY-MM-DD date") from None
    try:
        compact = max(0, integer("TRACKER_COMPACT_EVENTS", DEFAULT_TRACKER_COMPACT_EVENTS))
    except SettingError:
        # A typo must not stop the Rasa server: compaction keeps its default.
        log.warning(
            "TRACKER_COMPACT_EVENTS=%r is not a number; using %d",
            text("TRACKER_COMPACT_EVENTS"),
            DEFAULT_TRACKER_COMPACT_EVENTS,
        )
        compact = DEFAULT_TRACKER_COMPACT_EVENTS
    replica_name = text("REPLICA_NAME")
    if replica_name and not REPLICA_NAME.match(replica_name):
        raise SettingError(f"REPLICA_NAME={replica_name!r} must be 1-16 lowercase letters or digits")
    return Settings(
        database_url=text("DATABASE_URL") or DEFAULT_DATABASE_URL,
        assistant_today=pinned,
        rate_limit_messages=integer("RATE_LIMIT_MESSAGES", DEFAULT_RATE_LIMIT_MESSAGES),
        rate_limit_window_seconds=number(
            "RATE_LIMIT_WINDOW_SECONDS", float, DEFAULT_RATE_LIMIT_WINDOW_SECONDS
        ),
        message_timeout_seconds=number("MESSAGE_TIMEOUT_SECONDS", float, DEFAULT_MESSAGE_TIMEOUT_SECONDS),
        tracker_compact_events=compact,
        tracker_db=text("TRACKER_DB") or DEFAULT_TRACKER_DB,
        rasa_endpoints=text("RASA_ENDPOINTS") or DEFAULT_RASA_ENDPOINTS,
        rasa_jwt_secret=text("RASA_JWT_SECRET"),
        cors_origins_configured=tuple(text("CORS_ORIGINS").split()),
        action_host=text("ACTION_HOST") or DEFAULT_ACTION_HOST,
        action_port=integer("ACTION_PORT", DEFAULT_ACTION_PORT),
        action_server_token=text("ACTION_SERVER_TOKEN") or None,
        action_server_url_configured=text("ACTION_SERVER_URL"),
        rasa_port=integer("RASA_PORT", DEFAULT_RASA_PORT),
        web_port=integer("WEB_PORT", DEFAULT_WEB_PORT),
        web_host=text("WEB_HOST") or DEFAULT_WEB_HOST,
        public_host=text("PUBLIC_HOST") or DEFAULT_PUBLIC_HOST,
        rasa_url_configured=text("RASA_URL"),
        log_level=text("LOG_LEVEL") or DEFAULT_LOG_LEVEL,
        twilio_auth_token=text("TWILIO_AUTH_TOKEN"),
        sms_public_url=text("SMS_PUBLIC_URL"),
        sms_sender_key=text("SMS_SENDER_KEY"),
        replicas=integer("REPLICAS", DEFAULT_REPLICAS),
        rasa_interface=text("RASA_INTERFACE") or DEFAULT_RASA_INTERFACE,
        claims_storage_dir=text("CLAIMS_STORAGE_DIR") or DEFAULT_CLAIMS_STORAGE_DIR,
        claims_max_file_bytes=integer("CLAIMS_MAX_FILE_BYTES", DEFAULT_CLAIMS_MAX_FILE_BYTES),
        claims_max_files=integer("CLAIMS_MAX_FILES", DEFAULT_CLAIMS_MAX_FILES),
        claims_max_claim_bytes=integer("CLAIMS_MAX_CLAIM_BYTES", DEFAULT_CLAIMS_MAX_CLAIM_BYTES),
        claims_business_time_zone=time_zone("CLAIMS_BUSINESS_TIME_ZONE", DEFAULT_CLAIMS_BUSINESS_TIME_ZONE),
        claims_business_day_end=clock_time(
            "CLAIMS_BUSINESS_DAY_END", text("CLAIMS_BUSINESS_DAY_END") or DEFAULT_CLAIMS_BUSINESS_DAY_END
        ),
        claims_upload_secret=text("CLAIMS_UPLOAD_SECRET"),
        claims_upload_link_hours=number("CLAIMS_UPLOAD_LINK_HOURS", float, DEFAULT_CLAIMS_UPLOAD_LINK_HOURS),
        claims_media_timeout_seconds=number(
            "CLAIMS_MEDIA_TIMEOUT_SECONDS", float, DEFAULT_CLAIMS_MEDIA_TIMEOUT_SECONDS
        ),
        claims_worker_poll_seconds=number(
            "CLAIMS_WORKER_POLL_SECONDS", float, DEFAULT_CLAIMS_WORKER_POLL_SECONDS
        ),
        contact_encryption_keys=words("CONTACT_ENCRYPTION_KEY", ","),
        sms_quiet_hours=quiet_hours(),
        twilio_account_sid=text("TWILIO_ACCOUNT_SID"),
        twilio_from_number=text("TWILIO_FROM_NUMBER"),
        twilio_api_url=(text("TWILIO_API_URL") or DEFAULT_TWILIO_API_URL).rstrip("/"),
        twilio_media_hosts=words("TWILIO_MEDIA_HOSTS"),
        web_public_url_configured=text("WEB_PUBLIC_URL"),
        widget_push_url=text("WIDGET_PUSH_URL"),
        widget_push_token=text("WIDGET_PUSH_TOKEN"),
        lb_port=integer("LB_PORT", DEFAULT_LB_PORT),
        replica_name=replica_name,
        secret_key=text("ASSISTANT_SECRET_KEY"),
        metrics_token=text("METRICS_TOKEN"),
        verify_lockout_failures=integer("VERIFY_LOCKOUT_FAILURES", DEFAULT_VERIFY_LOCKOUT_FAILURES),
        verify_lockout_client_failures=integer(
            "VERIFY_LOCKOUT_CLIENT_FAILURES", DEFAULT_VERIFY_LOCKOUT_CLIENT_FAILURES
        ),
        verify_lockout_seconds=number("VERIFY_LOCKOUT_SECONDS", float, DEFAULT_VERIFY_LOCKOUT_SECONDS),
        verification_idle_seconds=number(
            "VERIFICATION_IDLE_SECONDS", float, DEFAULT_VERIFICATION_IDLE_SECONDS
        ),
        delivery_memory_seconds=number("DELIVERY_MEMORY_SECONDS", float, DEFAULT_DELIVERY_MEMORY_SECONDS),
        redis_host=text("REDIS_HOST"),
        redis_port=integer("REDIS_PORT", DEFAULT_REDIS_PORT),
        redis_password=text("REDIS_PASSWORD"),
        redis_db=integer("REDIS_DB", 0),
    )


def generated_secrets(environ: Mapping[str, str], keep_in: Path | None = None) -> dict[str, str]:
    """Random values for the GENERATED_SECRETS that ``environ`` leaves unset.

    `make run` and `make topology` call this so that every process of one run
    shares them; production sets them (docs/security.md). With ``keep_in``
    (`make run`: ``RUN_SECRETS_FILE``), the values are generated once, kept in
    that file (mode 600) and reused, so a restarted `make run` continues its
    widget sessions and half-answered forms.
    """
    missing = [name for name in GENERATED_SECRETS if not (environ.get(name) or "").strip()]
    kept = _kept_secrets(keep_in) if keep_in is not None and missing else {}
    return {name: kept.get(name) or secrets.token_urlsafe(32) for name in missing}


def _kept_secrets(path: Path) -> dict[str, str]:
    """The secrets kept in ``path``, written first (atomically, 600) if it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text("".join(f"{name}={secrets.token_urlsafe(32)}\n" for name in GENERATED_SECRETS))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # fails if another launcher got there first: theirs wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    pairs = (line.partition("=") for line in path.read_text().splitlines())
    return {name: value for name, _, value in pairs if name in GENERATED_SECRETS and value}


_VARIABLE_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_variables(value: str, environ: Mapping[str, str] | None = None) -> str:
    """``value`` with each ``${NAME}`` replaced as Rasa does in an endpoints file; unset: SettingError.

    For tools that read one section of an endpoints file (bot/data/retention.py).
    """
    env = os.environ if environ is None else environ

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise SettingError(f"{name} is not set (the endpoints file refers to it)")
        return env[name]

    return _VARIABLE_REFERENCE.sub(value_of, value)


def settings() -> Settings:
    """This process's settings, from ``os.environ``."""
    return _load_values(tuple(os.environ.get(name) for name in VARIABLES))


@lru_cache(maxsize=8)
def _load_values(values: tuple[str | None, ...]) -> Settings:
    return load({name: value for name, value in zip(VARIABLES, values) if value is not None})


def reset() -> None:
    """Forget the parsed settings (``settings()`` already notices changed variables)."""
    _load_values.cache_clear()
