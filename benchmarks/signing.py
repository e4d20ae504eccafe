"""Benchmark: microseconds per signed order, ours vs the official hyperliquid-python-sdk.

Run with ``.venv/bin/python benchmarks/signing.py``. The SDK is installed into its own
virtualenv at ``.bench/sdk-venv`` (gitignored; reused when present) so it never leaks into the
app's environment, and it is timed there through a subprocess. Both implementations sign the
same one-order Gtc action with a cloid and a fresh nonce per signature. Before timing, the
script checks that both produce identical signatures for a set of inputs; a mismatch is printed
loudly, since speed is worthless if the venue would recover a different address.

Exit status is 0 whether or not the goal (>= 20x faster) is met; the last line says PASS/MISS.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wallet_perps.crypto.secp256k1 import address_from_private_key  # noqa: E402
from wallet_perps.hyperliquid.actions import LimitType, OrderSpec, order_action  # noqa: E402
from wallet_perps.hyperliquid.nonces import NonceManager  # noqa: E402
from wallet_perps.hyperliquid.signing import sign_l1_action  # noqa: E402

SDK_VERSION = "0.24.0"
SDK_VENV = ROOT / ".bench" / "sdk-venv"
GOAL = 20.0
N_OURS = 5_000
N_SDK = 1_000
REPEATS = 3
BASE_NONCE = 1_700_000_000_000
# Public test key from the SDK's own tests; never funded.
#: A fresh throwaway key per run: any key serves to compare speed and output with the SDK.
KEY = "0x" + secrets.token_hex(32)

SDK_SNIPPET = r"""
import json, sys, time
import eth_account
from hyperliquid.utils.signing import sign_l1_action

job = json.load(sys.stdin)
wallet = eth_account.Account.from_key(job["key"])
action = job["action"]
checks = [
    sign_l1_action(wallet, c["action"], c["vault"], c["nonce"], c["expires"], c["mainnet"])
    for c in job["checks"]
]
n, base = job["n"], job["base_nonce"]
for i in range(50):
    sign_l1_action(wallet, action, None, base + i, None, True)
best = float("inf")
for _ in range(job["repeats"]):
    t0 = time.perf_counter()
    for i in range(n):
        sign_l1_action(wallet, action, None, base + i, None, True)
    best = min(best, (time.perf_counter() - t0) / n)
json.dump({"us_per_order": best * 1e6, "checks": checks}, sys.stdout)
"""


def _typical_action(cloid_seq: int = 1) -> dict[str, Any]:
    spec = OrderSpec(
        asset=0,
        is_buy=True,
        price=Decimal("60123"),
        size=Decimal("0.0015"),
        order_type=LimitType("Gtc"),
        cloid=f"0x{cloid_seq:032x}",
    )
    return order_action([spec])


def _check_cases() -> list[dict[str, Any]]:
    action = _typical_action()
    cases: list[dict[str, Any]] = []
    for mainnet in (True, False):
        for vault in (None, "0x1719884eb866cb12b2287399b15f7db5e7d775ea"):
            for expires in (None, BASE_NONCE + 60_000):
                for nonce in (BASE_NONCE, BASE_NONCE + 1, 0):
                    cases.append(
                        {
                            "action": action,
                            "nonce": nonce,
                            "vault": vault,
                            "expires": expires,
                            "mainnet": mainnet,
                        }
                    )
    cases.append(
        {
            "action": _typical_action(0xABCDEF),
            "nonce": BASE_NONCE + 7,
            "vault": None,
            "expires": None,
            "mainnet": True,
        }
    )
    return cases


def _sdk_python() -> Path | None:
    python = SDK_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {SDK_VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SDK_VENV)], check=True)
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print(m.version('hyperliquid-python-sdk'))",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 or probe.stdout.strip() != SDK_VERSION:
        print(
            f"installing hyperliquid-python-sdk=={SDK_VERSION} into the bench venv ...", flush=True
        )
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"hyperliquid-python-sdk=={SDK_VERSION}"],
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            print("!! could not install the SDK:\n" + install.stderr[-2000:])
            return None
    return python


def _time_ours() -> float:
    action = _typical_action()
    for i in range(200):
        sign_l1_action(KEY, action, BASE_NONCE + i, is_mainnet=True)
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for i in range(N_OURS):
            sign_l1_action(KEY, action, BASE_NONCE + i, is_mainnet=True)
        best = min(best, (time.perf_counter() - t0) / N_OURS)
    return best * 1e6


def _time_ours_end_to_end() -> float:
    """Build from Decimal inputs + per-signer nonce + sign: what the app pays per order."""
    signer = address_from_private_key(KEY)
    nonces = NonceManager()
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for i in range(N_OURS):
            action = _typical_action(i + 1)
            sign_l1_action(KEY, action, nonces.next_nonce(signer), is_mainnet=True)
        best = min(best, (time.perf_counter() - t0) / N_OURS)
    return best * 1e6


def main() -> int:
    cases = _check_cases()
    ours_sigs = [
        dict(
            sign_l1_action(
                KEY,
                c["action"],
                c["nonce"],
                vault_address=c["vault"],
                expires_after=c["expires"],
                is_mainnet=c["mainnet"],
            )
        )
        for c in cases
    ]

    ours_us = _time_ours()
    ours_e2e_us = _time_ours_end_to_end()
    print(f"ours: {ours_us:.1f} us/order (sign only), {ours_e2e_us:.1f} us/order incl. build+nonce")

    python = _sdk_python()
    sdk_us: float | None = None
    if python is not None:
        job = {
            "key": KEY,
            "action": _typical_action(),
            "checks": cases,
            "n": N_SDK,
            "repeats": REPEATS,
            "base_nonce": BASE_NONCE,
        }
        run = subprocess.run(
            [str(python), "-c", SDK_SNIPPET],
            input=json.dumps(job),
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            print("!! SDK timing subprocess failed:\n" + run.stderr[-2000:])
        else:
            result = json.loads(run.stdout)
            sdk_us = float(result["us_per_order"])
            mismatches = [
                (case, ours, sdk)
                for case, ours, sdk in zip(cases, ours_sigs, result["checks"], strict=True)
                if ours != sdk
            ]
            if mismatches:
                print("!" * 78)
                print(f"!! SIGNATURE MISMATCH in {len(mismatches)} of {len(cases)} cases")
                for case, ours, sdk in mismatches[:5]:
                    print(
                        f"!!   nonce={case['nonce']} vault={case['vault']} "
                        f"expires={case['expires']} mainnet={case['mainnet']}"
                    )
                    print(f"!!     ours {ours}\n!!     sdk  {sdk}")
                print("!" * 78)
            else:
                print(f"identical signatures: {len(cases)}/{len(cases)} cases match the SDK")
            print(f"sdk:  {sdk_us:.1f} us/order (hyperliquid-python-sdk {SDK_VERSION})")

    if sdk_us is None:
        print(f"signing: ours {ours_us:.1f} us/order, sdk n/a (goal >= {GOAL:.0f}x) MISS")
        return 0
    ratio = sdk_us / ours_us
    verdict = "PASS" if ratio >= GOAL else "MISS"
    print(
        f"signing: ours {ours_us:.1f} us/order, sdk {sdk_us:.1f} us/order, "
        f"ratio {ratio:.1f}x (goal >= {GOAL:.0f}x) {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
