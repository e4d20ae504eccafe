"""The real Secret Service keyring as the tests see it: our service's entries, read or cleared.

The suite runs inside a private D-Bus session with a throwaway gnome-keyring
(packaging/with_keyring.sh), so reading and deleting every item of the ``wallet-perps`` service
touches nothing of the developer's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import secretstorage

from wallet_perps.wallet.backends import SERVICE

__all__ = ["clear_keyring_entries", "keyring_entries", "keyring_items"]


@contextmanager
def _our_items() -> Iterator[list[secretstorage.Item]]:
    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        yield list(collection.search_items({"service": SERVICE}))
    finally:
        connection.close()


def keyring_entries() -> dict[str, str]:
    """Every secret filed under our service, by entry name."""
    with _our_items() as items:
        return {i.get_attributes()["username"]: i.get_secret().decode() for i in items}


def keyring_items() -> dict[str, bytes]:
    """Every item of our service, keyed by its attributes and label (a dump to scan)."""
    with _our_items() as items:
        return {
            repr(sorted(i.get_attributes().items())) + i.get_label(): i.get_secret() for i in items
        }


def clear_keyring_entries() -> None:
    with _our_items() as items:
        for item in items:
            item.delete()
