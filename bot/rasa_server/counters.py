"""Prometheus counters shared by the action server (no Rasa import here)."""

from __future__ import annotations

from prometheus_client import Counter

GAP_CLAIMS = Counter("assistant_gap_claims_total", "GAP claim requests", ["outcome"])
VERIFICATIONS = Counter("assistant_identity_checks_total", "Identity verifications", ["outcome"])
