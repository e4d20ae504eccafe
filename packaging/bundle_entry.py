"""Entry script of the PyInstaller bundle (packaging/wallet-perps.spec).

A bundle has one executable and no Python able to run ``-m``, so the built-in local venue runs
as a second process of this same executable: ``wallet-perps --venue-child <venue args>`` (see
``wallet_perps.services.venue_launcher.venue_command``). That branch is taken before anything
imports Qt, so the venue process stays small and starts fast; anything else is the desktop app.
"""

from __future__ import annotations

import sys


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--venue-child"]:
        from wallet_perps.localvenue.cli import main as venue_main

        return venue_main(args[1:])
    from wallet_perps.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
