"""Wallet Perps: a self-custodial desktop app for Hyperliquid perpetual futures."""

#: The fallback for ``wallet-perps --version`` when no package metadata is installed (a bare
#: checkout on sys.path, a frozen bundle); tests/test_entry_points.py keeps it equal to
#: pyproject.toml's version.
__version__ = "0.1.0"
