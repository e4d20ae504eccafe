"""Files the app reads at run time (style sheets, icons), shipped inside the package.

A package (not a loose folder beside it) so that a wheel, an sdist and a frozen bundle all carry
them, and ``importlib.resources.files("wallet_perps.resources")`` finds them wherever the app is
installed.
"""
