"""The app as a user installs it, not as the editable checkout runs it.

The sdist is built from a copy of this checkout and the wheel from that sdist (``python -m
build``, as a release is built), the wheel is installed (not editable) with its dependencies in
a fresh virtual environment, and the installed ``wallet-perps --self-test`` must pass there
with a fresh HOME and no keyring; with a package file deleted it must fail and say which check.

Slow (about a minute, mostly pip unpacking PySide6 from its cache), so the environment is built
once per module and shared. ``-m packaging`` selects these tests, ``-m 'not packaging'`` skips
them; they run in the normal suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wallet_perps.selftest import CHECKS

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
#: What a source checkout may hold that is not source (virtual environments, caches, builds).
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".bench",
    "screenshots",
)


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path
    log: str
    seconds: float


@dataclass(frozen=True)
class Installed:
    venv: Path
    site_packages: Path
    seconds: float  # creating the venv and installing the wheel with its dependencies

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def package_resources() -> list[str]:
    """Every file of wallet_perps/resources in the checkout, as a path inside the package."""
    base = ROOT / "wallet_perps" / "resources"
    return sorted(
        p.relative_to(ROOT).as_posix()
        for p in base.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def run(
    args: list[str],
    *,
    timeout: float = 600,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env, check=False
    )


def user_env(tmp: Path) -> dict[str, str]:
    """A first-time user's environment: fresh HOME and app home, no keyring, no display."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not k.startswith(("XDG_", "WAYLAND_"))
    }
    env.update(
        HOME=str(tmp / "home"),
        WALLET_PERPS_HOME=str(tmp / "wallet-perps-home"),
        QT_QPA_PLATFORM="offscreen",
    )
    (tmp / "home").mkdir(parents=True, exist_ok=True)
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    started = time.monotonic()
    done = run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(source)])
    seconds = time.monotonic() - started
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    (sdist,) = (work / "dist").glob("*.tar.gz")
    (wheel,) = (work / "dist").glob("*.whl")
    return Built(sdist, wheel, log, seconds)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    started = time.monotonic()
    made = run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    python = str(venv / "bin" / "python")
    pip = run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(built.wheel)]
    )
    seconds = time.monotonic() - started
    assert pip.returncode == 0, (pip.stdout + pip.stderr)[-4000:]
    purelib = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ]
    )
    print(f"\nfresh venv + wheel with dependencies installed in {seconds:.0f} s")
    yield Installed(venv, Path(purelib.stdout.strip()), seconds)
    shutil.rmtree(venv, ignore_errors=True)  # close to 1 GB: do not leave it in /tmp


def test_wheel_and_sdist_carry_every_resource(built: Built) -> None:
    wanted = package_resources()
    assert "wallet_perps/resources/theme.qss" in wanted
    assert "wallet_perps/resources/icons/wallet-perps.svg" in wanted
    with zipfile.ZipFile(built.wheel) as wheel:
        in_wheel = set(wheel.namelist())
    assert [name for name in wanted if name not in in_wheel] == []
    assert not any(name.startswith("resources/") for name in in_wheel)
    with tarfile.open(built.sdist) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert [name for name in wanted if name not in in_sdist] == []
    # The build is quiet: no deprecation from setuptools (license, package data, ...).
    assert "BuildBackendWarning" not in built.log
    assert "DeprecationWarning" not in built.log
    print(f"\nsdist and wheel built in {built.seconds:.0f} s")


def test_installed_app_passes_its_self_test(installed: Installed, tmp_path: Path) -> None:
    env = user_env(tmp_path)
    where = run(
        [installed.bin("python"), "-c", "import wallet_perps; print(wallet_perps.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.site_packages), where
    started = time.monotonic()
    done = run([installed.bin("wallet-perps"), "--self-test"], cwd=tmp_path, env=env, timeout=180)
    seconds = time.monotonic() - started
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    for check in CHECKS:
        assert any(line.startswith(f"ok   {check}: ") for line in lines), done.stdout
    assert lines[-1].startswith("self-test passed: 6 checks"), done.stdout
    assert not any(line.startswith(("FAIL", "skip")) for line in lines)
    # It kept to its own temporary home: the user's (fresh) one was not even created.
    assert not Path(env["WALLET_PERPS_HOME"]).exists()
    print(f"\ninstalled self-test: {seconds:.1f} s\n{done.stdout}")


def test_installed_commands_answer(installed: Installed, tmp_path: Path) -> None:
    env = user_env(tmp_path)
    version = run([installed.bin("wallet-perps"), "--version"], cwd=tmp_path, env=env)
    assert version.returncode == 0, version.stderr
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert version.stdout.strip() == f"wallet-perps {project['version']}"
    venue = run([installed.bin("wallet-perps-venue"), "--help"], cwd=tmp_path, env=env)
    assert venue.returncode == 0, venue.stderr
    assert "--port" in venue.stdout


def test_self_test_names_a_missing_installed_file(installed: Installed, tmp_path: Path) -> None:
    theme = installed.site_packages / "wallet_perps" / "resources" / "theme.qss"
    assert theme.is_file()
    aside = tmp_path / "theme.qss"
    shutil.move(theme, aside)
    try:
        done = run(
            [installed.bin("wallet-perps"), "--self-test"],
            cwd=tmp_path,
            env=user_env(tmp_path),
            timeout=180,
        )
    finally:
        shutil.move(aside, theme)
    assert done.returncode != 0, done.stdout
    first = done.stdout.splitlines()[0]
    assert first.startswith("FAIL resources: "), done.stdout
    assert "wallet_perps/resources/theme.qss" in first
    assert "self-test FAILED (resources)" in done.stdout
