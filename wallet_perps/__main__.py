"""``python -m wallet_perps`` starts the desktop app."""

from wallet_perps.app import main

raise SystemExit(main())
