"""The settings the app keeps on disk, and the folders it keeps them in.

Only non-secret values live here: which network was used last, display preferences. Keys and
recovery phrases never pass through this module (they live in the OS keyring, see
``wallet_perps.wallet``). The networks themselves are data in ``wallet_perps.core.networks``;
settings remember one by name.
"""

from __future__ import annotations

import json
import os
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any, Literal

from platformdirs import PlatformDirs

from wallet_perps.core.networks import DEFAULT_NETWORK, NETWORKS, NetworkName
from wallet_perps.core.private_files import tighten_tree, write_private

APP_NAME = "wallet-perps"


@dataclass(frozen=True, slots=True)
class AppDirs:
    """The four folders the app writes to, wherever they are: the platform's, or all under
    WALLET_PERPS_HOME. Only these four are ever asked for, so nothing else is carried."""

    user_config_dir: str
    user_data_dir: str
    user_cache_dir: str
    user_log_dir: str


def app_dirs() -> AppDirs:
    """Platform config/data/cache/log directories; WALLET_PERPS_HOME relocates all of them.

    The override exists so tests (and a portable install) can keep everything under one
    directory that can be inspected and thrown away.
    """
    home = os.environ.get("WALLET_PERPS_HOME")
    if home:
        return AppDirs(*(str(Path(home) / name) for name in ("config", "data", "cache", "log")))
    dirs = PlatformDirs(APP_NAME, appauthor=False)
    return AppDirs(dirs.user_config_dir, dirs.user_data_dir, dirs.user_cache_dir, dirs.user_log_dir)


@dataclass(slots=True)
class Settings:
    """User preferences persisted as JSON in the config directory."""

    network: NetworkName = DEFAULT_NETWORK
    confirm_orders: bool = True
    default_slippage_pct: str = "5"
    theme: Literal["dark", "light", "system"] = "dark"
    #: Markets the user starred in the market picker, in the order they were starred.
    favourites: list[str] = field(default_factory=list)
    #: The main window's ``QWidget.saveGeometry`` blob, base64 ("": open at the default place).
    window_geometry: str = ""
    window_maximized: bool = False
    #: The Trade page's market and chart interval when last changed ("": the defaults).
    last_market: str = ""
    chart_interval: str = ""

    @classmethod
    def path(cls) -> Path:
        return Path(app_dirs().user_config_dir) / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        """Reads settings, falling back to defaults for a missing or unreadable file.

        A damaged settings file must never stop the app from starting: it holds nothing that
        cannot be chosen again.
        """
        try:
            raw: Any = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        settings = cls()
        if not isinstance(raw, dict):
            return settings
        if raw.get("network") in NETWORKS:
            settings.network = raw["network"]
        if isinstance(raw.get("confirm_orders"), bool):
            settings.confirm_orders = raw["confirm_orders"]
        if isinstance(raw.get("default_slippage_pct"), str):
            settings.default_slippage_pct = raw["default_slippage_pct"]
        if raw.get("theme") in ("dark", "light", "system"):
            settings.theme = raw["theme"]
        favourites = raw.get("favourites")
        if isinstance(favourites, list):
            # Files written before favourites existed simply lack the key.
            settings.favourites = [c for c in favourites if isinstance(c, str) and c]
        # Window and Trade page memory: anything odd falls back to the default (checked
        # again where used: a geometry must decode and fit a screen, a market must exist).
        for name in ("window_geometry", "last_market", "chart_interval"):
            value = raw.get(name)
            if isinstance(value, str) and len(value) <= 4096:
                setattr(settings, name, value)
        if isinstance(raw.get("window_maximized"), bool):
            settings.window_maximized = raw["window_maximized"]
        return settings

    def save(self) -> None:
        """Writes atomically so a crash mid-write leaves the previous settings intact."""
        path = self.path()
        data = {
            "network": self.network,
            "confirm_orders": self.confirm_orders,
            "default_slippage_pct": self.default_slippage_pct,
            "theme": self.theme,
            "favourites": list(self.favourites),
            "window_geometry": self.window_geometry,
            "window_maximized": self.window_maximized,
            "last_market": self.last_market,
            "chart_interval": self.chart_interval,
        }
        write_private(path, json.dumps(data, indent=2))


# ---------------------------------------------------------------------------- private files
# Settings, wallet metadata, window state, trading history and logs are nobody else's business
# on a shared machine: everything the app writes under its folders is 0600 in 0700 folders.
# The helpers live in ``core.private_files``, shared with the local venue (which imports no
# app module).


def secure_app_dirs() -> None:
    """At start: every folder the app owns (config, data, cache, log; with WALLET_PERPS_HOME,
    that home) is made private, with whatever an older version left in it."""
    home = os.environ.get("WALLET_PERPS_HOME")
    dirs = app_dirs()
    roots = [Path(home)] if home else []
    roots += [Path(d) for d in astuple(dirs)]
    for root in roots:
        tighten_tree(root)
