"""The contribution registry: apps are discovered at start-up, a new app's sheet and figures join the workbook,
and portal imports no domain app."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from portal.reports import registry
from portal.reports.builder import YUAN_FORMATS, BuildContext, Column, build_workbook
from portal.reports.periods import Period

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_APPS = {"activities", "clubs", "reading", "volunteers", "budget"}


def test_activities_contribution_is_discovered_when_apps_load():
    from activities.reports import ActivitiesContribution

    contribution = registry.get_contribution("activities")
    assert isinstance(contribution, ActivitiesContribution)
    assert [c.key for c in registry.contributions()][:1] == ["activities"]
    with translation.override("en"):
        assert str(contribution.title) == "Activities"


def test_autodiscover_is_idempotent():
    before = [c.key for c in registry.contributions()]
    registry.autodiscover_reports()
    assert [c.key for c in registry.contributions()] == before


def test_a_contribution_needs_a_key():
    with pytest.raises(ValueError):
        registry.register(registry.ReportContribution())


class BudgetLike(registry.ReportContribution):
    """What a future budget app would contribute: a cost, and its own sheet with a yuan column."""

    key = "budget-test"
    title = "Budget"
    order = 50

    def figures(self, period, participation):
        return {"cost": Decimal("1234.50")}

    def write_sheet(self, workbook, period, *, figures, writer):
        sheet = writer(workbook, "Budget", [Column("Item", 20), Column("Amount", 14, "yuan")])
        sheet.row(["Banners", Decimal("1234.50")])


@pytest.fixture
def budget_contribution():
    contribution = registry.register(BudgetLike())
    yield contribution
    registry.unregister(contribution.key)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_registered_contribution_adds_its_sheet_and_cost(budget_contribution, tmp_path, language):
    path = tmp_path / "report.xlsx"
    now = timezone.now()
    with translation.override(language):
        headline = build_workbook(path=path, period=Period(2025, 1), context=BuildContext("x", now, now))
    workbook = load_workbook(path)
    # Summary, Units, the activities' sheet (order 10), then Budget (order 50), About last.
    assert len(workbook.sheetnames) == 5 and workbook.sheetnames[3] == "Budget"
    assert workbook["Budget"]["B2"].value == 1234.5
    assert workbook["Budget"]["B2"].number_format == YUAN_FORMATS[language]
    summary = workbook[workbook.sheetnames[0]]
    cost_cells = [row[1] for row in summary.iter_rows() if row[1].number_format == YUAN_FORMATS[language]]
    assert [cell.value for cell in cost_cells] == [1234.5]
    assert headline["cost"] == "1234.50"


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_portal_imports_no_domain_app():
    offenders = []
    for path in (ROOT / "portal").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for module in _imported_modules(path):
            if module.split(".")[0] in DOMAIN_APPS:
                offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert offenders == []


def test_the_report_tasks_and_admin_load_with_django(tmp_path):
    """A Celery worker only knows the tasks that django.setup() imported: PortalConfig.ready() must load them."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, django; django.setup(); "
        "from portal.celery import app; "
        "assert 'portal.reports.tasks' in sys.modules and 'portal.reports.generate_report' in app.tasks; "
        "from django.contrib import admin; from portal.models import Report; assert admin.site.is_registered(Report); "
        "import activities.reports"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
