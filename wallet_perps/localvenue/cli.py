"""``wallet-perps-venue``: the built-in local Hyperliquid-compatible venue.

The venue itself is being built (issue 3); until then the command says so and exits non-zero
rather than pretending to serve.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    print("wallet-perps-venue: the local venue is not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
