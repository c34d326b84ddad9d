"""The dependency arrows between apps (design.md) hold: `.importlinter` lists them and `lint-imports` keeps them."""

import configparser
import re
import subprocess
import sys
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"
LINT = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LINT, "--no-cache", str(CONFIG)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _config() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return parser


def test_the_contracts_are_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_app_of_ours_is_under_contract():
    """A new app in the repository gets its own contract, or lint-imports would not look at it."""
    config = _config()
    ours = {app.label for app in apps.get_app_configs() if Path(app.path).parent == ROOT}
    roots = set(config["importlinter"]["root_packages"].split())
    assert ours == roots
    sources = {
        module
        for name, section in config.items()
        if name.startswith("importlinter:contract:")
        for module in section.get("source_modules", "").split()
    }
    assert sources == roots


def test_a_forbidden_import_breaks_the_build(tmp_path):
    """The contracts are not vacuous: the portal importing a domain app is caught, even inside a function."""
    for package in _config()["importlinter"]["root_packages"].split():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "portal" / "demo_data.py").write_text("def seed():\n    from activities import models\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "portal.demo_data -> activities" in result.stdout


# ------------------------------------------------------------------------------------------ build and CI wiring


def _make_dry_run(target: str) -> str:
    # -B: as if every stamp were stale, so the install steps show up too.
    result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout


def _pinned(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        if line and line[0].isalnum() and "==" in line:
            name, _, version = line.split(" ")[0].partition("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_the_locks_pin_every_dependency_with_hashes():
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, wanted in (
        ("requirements.txt", project["dependencies"]),
        ("requirements-test.txt", project["dependencies"] + project["optional-dependencies"]["test"]),
    ):
        pins = _pinned(ROOT / lock)
        for spec in wanted:
            requirement = Requirement(spec)
            name = requirement.name.lower().replace("_", "-")
            assert name in pins, f"{lock} does not pin {name}: run make lock"
            assert requirement.specifier.contains(pins[name]), f"{lock}: {name}=={pins[name]}, not {spec}: make lock"
        blocks = re.split(r"\n(?=[a-z0-9])", (ROOT / lock).read_text(), flags=re.IGNORECASE)
        unhashed = [block.split()[0] for block in blocks if "==" in block.split("\n")[0] and "--hash" not in block]
        assert not unhashed, f"{lock}: pins without a hash: {unhashed}"


def test_make_ci_and_the_image_install_from_the_locks():
    assert "pip install --quiet -r requirements.txt" in _make_dry_run("install")
    assert "pip install --quiet -r requirements-test.txt" in _make_dry_run("install-test")
    makefile = (ROOT / "Makefile").read_text()
    assert "$(VENV)/.installed-run: $(LOCK)" in makefile
    assert "$(VENV)/.installed-test: $(LOCK_TEST)" in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "-e ." not in dockerfile.replace("--no-deps -e .", "")


def test_lint_checks_everything_ci_relies_on_and_ci_runs_it():
    lint = _make_dry_run("lint")
    for step in ("ruff check", "ruff format --check", "lint-imports", "makemigrations --check --dry-run"):
        assert step in lint
    assert "check-messages" in lint
    assert "\nmake lint\n" in (ROOT / ".ci" / "run").read_text()


def test_development_targets_run_with_debug_and_test_targets_set_it_their_own_way():
    makefile = (ROOT / "Makefile").read_text()
    line = next(line for line in makefile.splitlines() if "export DEBUG" in line)
    assert line.startswith("run migrate demo bench-import bench-report bench-fixtures bench-pages bench-race:")
    assert not {"test", "test-unit", "test-browser", "lint"} & set(line.split(":")[0].split())
