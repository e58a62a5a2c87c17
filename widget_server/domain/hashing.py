"""Canonical JSON and the hashes that make notices and the ledger provable."""

import hashlib
import json
from typing import Any

GENESIS = "sha256:" + "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value).encode()).hexdigest()


def chain_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """Each ledger event's hash covers the previous one, so edits and reorders show."""
    return sha256_of({"prev": prev_hash, "event": event})
