"""Non-secret wallet metadata in the config directory (``wallets.json``).

What lives here is only what the app must know *before* unlock and what is public anyway:
addresses, labels, the network, agent addresses and their expiry, where each wallet's blob is
stored (keyring or file), the idle-lock time, and whether the user chose the encrypted-file
keystore for when no OS keyring exists (``allow_file_fallback``: asked once, in onboarding,
and remembered here beside the wallets it concerns). Keys, phrases and passwords never do.

Writes are atomic (temp file, fsync, rename) so a crash leaves the old file. A damaged file
is moved aside (it holds nothing secret) and the app starts with an empty list rather than
refusing to start; the encrypted entries in the keyring are untouched and the wallets can be
re-imported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from wallet_perps.config import app_dirs
from wallet_perps.core.networks import DEFAULT_NETWORK, NETWORKS, NetworkName
from wallet_perps.core.private_files import write_private

__all__ = [
    "DEFAULT_IDLE_LOCK_MINUTES",
    "AgentRecord",
    "MetadataFile",
    "Source",
    "Storage",
    "StoredMetadata",
    "WalletInfo",
]

log = logging.getLogger(__name__)

DEFAULT_IDLE_LOCK_MINUTES: Final = 15
Source = Literal["created", "phrase", "key", "demo"]
Storage = Literal["keyring", "file"]
_SOURCES: Final = ("created", "phrase", "key", "demo")
_ADDRESS_RE: Final = re.compile(r"^0x[0-9a-fA-F]{40}$")


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent (API) wallet for one network. ``approved_at_ms`` is None while pending."""

    address: str  # lowercase
    name: str
    valid_until_ms: int
    approved_at_ms: int | None = None

    @classmethod
    def from_json(cls, raw: Any) -> AgentRecord | None:
        if not isinstance(raw, dict):
            return None
        address, name, until = raw.get("address"), raw.get("name"), raw.get("valid_until_ms")
        approved = raw.get("approved_at_ms")
        if not (isinstance(address, str) and _ADDRESS_RE.fullmatch(address)):
            return None
        if not isinstance(name, str) or not isinstance(until, int):
            return None
        return cls(address.lower(), name, until, approved if isinstance(approved, int) else None)


@dataclass(frozen=True, slots=True)
class WalletInfo:
    """Everything public about one stored wallet."""

    address: str  # EIP-55 checksummed main address: the account every query uses
    label: str
    network: NetworkName
    source: Source
    account_index: int | None  # BIP44 index for phrase wallets, None for raw keys
    created_at_ms: int
    backup_confirmed: bool
    storage: Storage
    agents: dict[str, AgentRecord] = field(default_factory=dict)  # network -> active agent
    pending_agents: dict[str, AgentRecord] = field(default_factory=dict)
    retired_agents: tuple[str, ...] = ()
    #: When it was last unlocked (0: never): the unlock strip offers the latest, also after
    #: a restart, so the next unlock opens the wallet that was in use.
    last_unlocked_ms: int = 0

    @property
    def has_phrase(self) -> bool:
        return self.account_index is not None

    @property
    def entry_name(self) -> str:
        return f"wallet:{self.address.lower()}"

    def agent_for(self, network: str) -> str | None:
        """The active agent address on ``network``, for display and account views."""
        record = self.agents.get(network)
        return None if record is None else record.address

    def to_json(self) -> dict[str, Any]:
        """Every field under its own name (agents as nested objects): ``wallets.json``'s shape.
        Only :func:`json.dump` reads it, which writes the ``retired_agents`` tuple as a list."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Any) -> WalletInfo | None:
        if not isinstance(raw, dict):
            return None
        address = raw.get("address")
        if not (isinstance(address, str) and _ADDRESS_RE.fullmatch(address)):
            return None
        network = raw.get("network")
        source = raw.get("source")
        index = raw.get("account_index")

        def agents(key: str) -> dict[str, AgentRecord]:
            out: dict[str, AgentRecord] = {}
            value = raw.get(key)
            if isinstance(value, dict):
                for net, rec in value.items():
                    parsed = AgentRecord.from_json(rec)
                    if net in NETWORKS and parsed is not None:
                        out[net] = parsed
            return out

        retired = raw.get("retired_agents")
        last = raw.get("last_unlocked_ms")
        return cls(
            address=address,
            label=str(raw.get("label") or "Wallet"),
            network=network if network in NETWORKS else DEFAULT_NETWORK,
            source=source if source in _SOURCES else "key",
            account_index=index if isinstance(index, int) and not isinstance(index, bool) else None,
            created_at_ms=int(raw.get("created_at_ms") or 0),
            backup_confirmed=raw.get("backup_confirmed") is True,
            storage="file" if raw.get("storage") == "file" else "keyring",
            agents=agents("agents"),
            pending_agents=agents("pending_agents"),
            retired_agents=tuple(
                a.lower() for a in retired if isinstance(a, str) and _ADDRESS_RE.fullmatch(a)
            )
            if isinstance(retired, list)
            else (),
            last_unlocked_ms=last if isinstance(last, int) and not isinstance(last, bool) else 0,
        )


@dataclass(frozen=True, slots=True)
class StoredMetadata:
    """What ``wallets.json`` holds: the wallets, the idle-lock time, the file-keystore choice."""

    wallets: dict[str, WalletInfo] = field(default_factory=dict)  # by lowercase address
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    allow_file_fallback: bool = False


class MetadataFile:
    """Load and atomically save ``wallets.json``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(app_dirs().user_config_dir) / "wallets.json"

    def load(self) -> StoredMetadata:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return StoredMetadata()
        except OSError as exc:
            log.warning("cannot read %s (%s); starting with no wallets", self.path, exc)
            return StoredMetadata()
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or not isinstance(raw.get("wallets"), list):
                raise ValueError("not a wallets file")
        except ValueError:
            aside = self.path.with_name(f"wallets.damaged-{int(time.time())}.json")
            with contextlib.suppress(OSError):
                os.replace(self.path, aside)
            log.warning("%s was damaged; moved aside to %s", self.path, aside.name)
            return StoredMetadata()
        wallets: dict[str, WalletInfo] = {}
        for item in raw["wallets"]:
            info = WalletInfo.from_json(item)
            if info is not None:
                wallets[info.address.lower()] = info
        minutes = raw.get("idle_lock_minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
            minutes = DEFAULT_IDLE_LOCK_MINUTES
        return StoredMetadata(wallets, minutes, raw.get("allow_file_fallback") is True)

    def save(
        self,
        wallets: dict[str, WalletInfo],
        idle_lock_minutes: int,
        *,
        allow_file_fallback: bool = False,
    ) -> None:
        data = {
            "version": 1,
            "idle_lock_minutes": idle_lock_minutes,
            "allow_file_fallback": allow_file_fallback,
            "wallets": [w.to_json() for w in wallets.values()],
        }
        write_private(self.path, json.dumps(data, indent=2))
