"""The trained model for the current training inputs: ``models/assistant-<hash>.tar.gz``.

The hash covers everything `rasa train` reads, so a changed example, rule,
response, pipeline, NLU component or pinned package retrains, and nothing
else does. ``python -m bot.ops.model`` prints the path (scripts/train.sh).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from bot.settings import ROOT

MODELS_DIR = ROOT / "models"
_TRAINING_DIRS = ("data", "bot/nlu")
_TRAINING_FILES = ("config.yml", "domain.yml", "requirements.txt")


def training_inputs(root: Path = ROOT) -> Iterator[Path]:
    for folder in _TRAINING_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in (".yml", ".py"):
                yield path
    for name in _TRAINING_FILES:
        yield root / name


def content_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def current_model(root: Path = ROOT) -> Path:
    """The model for the current training inputs; it may not exist yet."""
    return root / "models" / f"assistant-{content_hash(root)}.tar.gz"


if __name__ == "__main__":
    print(current_model().relative_to(ROOT))
