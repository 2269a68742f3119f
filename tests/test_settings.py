"""bot/settings.py: every environment variable, its default written once."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from bot import settings as s
from bot.ops import stack
from bot.settings import ROOT, SettingError, Settings, load, settings

PRODUCT_DIRS = ("bot", "actions")
# Not the product's settings: the launcher and topology build their children's
# environment, contacts.yml overrides are bot/content/contacts.py's.
MAY_READ_ENVIRON = {
    "bot/settings.py",
    "bot/content/contacts.py",
    "bot/ops/launcher.py",
    "bot/ops/topology.py",
    "bot/ops/supervisor.py",
    "bot/ops/shell.py",
}


def test_defaults() -> None:
    conf = load({})
    assert conf == Settings()
    assert conf.database_url == f"sqlite:///{ROOT / 'var' / 'assistant.db'}"
    assert conf.assistant_today is None
    assert (conf.rate_limit_messages, conf.rate_limit_window_seconds) == (30, 60.0)
    assert conf.message_timeout_seconds == 20.0
    assert conf.tracker_compact_events == 40
    assert (conf.action_port, conf.rasa_port, conf.web_port) == (5055, 5005, 8080)
    assert conf.action_server_url == "http://127.0.0.1:5055/webhook"
    assert conf.rasa_url == "http://localhost:5005"
    assert conf.cors_origins == ("http://localhost:8080", "http://127.0.0.1:8080")
    assert conf.cors_origins_configured == ()
    assert conf.action_server_token is None
    assert conf.log_level == "INFO"
    assert (conf.lb_port, conf.replica_name) == (8090, "")


def test_values_and_derived_urls() -> None:
    conf = load(
        {
            "ACTION_PORT": "6055",
            "RASA_PORT": "6005",
            "WEB_PORT": "9090",
            "PUBLIC_HOST": "chat.example.test",
            "ASSISTANT_TODAY": "2026-11-24",
            "ACTION_SERVER_TOKEN": " secret ",
            "CORS_ORIGINS": "https://a.test  https://b.test",
            "RATE_LIMIT_MESSAGES": "5",
            "DATABASE_URL": "",  # blank: the default
        }
    )
    assert conf.action_server_url == "http://127.0.0.1:6055/webhook"
    assert conf.rasa_url == "http://chat.example.test:6005"
    assert conf.assistant_today == date(2026, 11, 24)
    assert conf.action_server_token == "secret"
    assert conf.cors_origins == ("https://a.test", "https://b.test")
    assert conf.rate_limit_messages == 5
    assert conf.database_url == s.DEFAULT_DATABASE_URL
    assert load({"RASA_URL": "https://chat.test/"}).rasa_url == "https://chat.test"


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"RASA_PORT": "6005", "ACTION_PORT": "6055", "WEB_PORT": "9090", "PUBLIC_HOST": "example.test"},
        {
            "ACTION_SERVER_URL": "http://actions:1/webhook",
            "RASA_URL": "http://r:2",
            "CORS_ORIGINS": "http://w:3",
        },
        {"TRACKER_DB": "/tmp/t.db", "RASA_ENDPOINTS": "deploy/endpoints.production.yml"},
    ],
)
def test_a_child_sees_the_settings_its_launcher_resolved(environ: dict[str, str]) -> None:
    """The launcher, topology, bench and shell pass the resolved values on (bot/ops/stack.py)."""
    conf = load(environ)
    child_env = stack.child_environment(conf, environ)
    seen = load(child_env)
    assert seen.exported() == conf.exported()
    assert (seen.action_server_url, seen.rasa_url, seen.cors_origins, seen.tracker_db) == (
        conf.action_server_url,
        conf.rasa_url,
        conf.cors_origins,
        conf.tracker_db,
    )
    # endpoints.yml's ${...} are all set (Rasa refuses a missing one)
    for name in ("ACTION_SERVER_URL", "ACTION_SERVER_TOKEN", "TRACKER_DB"):
        assert name in child_env


@pytest.mark.parametrize(
    "environ",
    [
        {"RATE_LIMIT_MESSAGES": "many"},
        {"WEB_PORT": "80.5"},
        {"ASSISTANT_TODAY": "24/11/2026"},
        {"LB_PORT": "nginx"},
        {"REPLICA_NAME": "r.1"},  # it becomes part of a pattern in nginx's routing map
        {"REPLICA_NAME": "Replica1"},
    ],
)
def test_a_malformed_value_names_its_variable(environ: dict[str, str]) -> None:
    with pytest.raises(SettingError, match=next(iter(environ))):
        load(environ)


def test_a_malformed_compaction_threshold_keeps_the_default(caplog: pytest.LogCaptureFixture) -> None:
    assert load({"TRACKER_COMPACT_EVENTS": "lots"}).tracker_compact_events == 40
    assert "TRACKER_COMPACT_EVENTS" in caplog.text
    assert load({"TRACKER_COMPACT_EVENTS": "-3"}).tracker_compact_events == 0


def test_settings_is_parsed_once_and_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_PORT", "9191")
    first = settings()
    assert first.web_port == 9191 and settings() is first
    monkeypatch.setenv("WEB_PORT", "9292")
    assert settings().web_port == 9292
    s.reset()
    assert settings().web_port == 9292


def test_the_product_reads_the_environment_only_through_settings() -> None:
    offenders = []
    for folder in PRODUCT_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in MAY_READ_ENVIRON or "/migrations/" in rel:
                continue
            tree = ast.parse(Path(path).read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                    offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, "read bot.settings.settings() instead: " + ", ".join(offenders)


def test_every_variable_is_a_setting() -> None:
    assert len(set(s.VARIABLES)) == len(s.VARIABLES)
    source = Path(s.__file__).read_text(encoding="utf-8")
    for name in s.VARIABLES:
        assert source.count(f'"{name}"') >= 2, f"{name} is listed but never read"


def test_trust_settings() -> None:
    conf = load({})
    assert conf.secret_key == "" and conf.metrics_token == ""
    assert (conf.verify_lockout_failures, conf.verify_lockout_client_failures) == (5, 10)
    assert conf.verify_lockout_seconds == 3600.0 and conf.verification_idle_seconds == 900.0
    assert conf.delivery_memory_seconds == 7 * 24 * 3600.0
    assert conf.redis_host == "" and conf.redis_port == 6379 and conf.redis_db == 0
    conf = load({"VERIFY_LOCKOUT_FAILURES": "3", "REDIS_HOST": "redis.internal", "REDIS_DB": "1"})
    assert conf.verify_lockout_failures == 3 and conf.redis_host == "redis.internal" and conf.redis_db == 1


def test_a_run_generates_the_secrets_it_lacks() -> None:
    generated = s.generated_secrets({"ACTION_SERVER_TOKEN": "given"})
    assert set(generated) == {"ASSISTANT_SECRET_KEY"} and len(generated["ASSISTANT_SECRET_KEY"]) >= 40
    both = s.generated_secrets({"ASSISTANT_SECRET_KEY": " "})
    assert set(both) == {"ACTION_SERVER_TOKEN", "ASSISTANT_SECRET_KEY"}
    assert both != s.generated_secrets({})  # random each run
    assert s.generated_secrets({"ACTION_SERVER_TOKEN": "a", "ASSISTANT_SECRET_KEY": "b"}) == {}


def test_endpoint_variables_expand_as_rasa_expands_them() -> None:
    assert s.expand_variables("${A}/x/${B_2}", {"A": "1", "B_2": "2"}) == "1/x/2"
    assert s.expand_variables("no variables", {}) == "no variables"
    with pytest.raises(SettingError, match="TRACKER_DB_HOST"):
        s.expand_variables("${TRACKER_DB_HOST}", {})


def test_kept_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "run-secrets.env"
    first = s.generated_secrets({}, keep_in=path)
    assert s.generated_secrets({}, keep_in=path) == first  # a restart gets the same
    assert path.stat().st_mode & 0o777 == 0o600
    assert s.generated_secrets({"ACTION_SERVER_TOKEN": "set"}, keep_in=path) == {
        "ASSISTANT_SECRET_KEY": first["ASSISTANT_SECRET_KEY"]
    }
    assert [p.name for p in path.parent.iterdir()] == ["run-secrets.env"]  # no draft left behind
