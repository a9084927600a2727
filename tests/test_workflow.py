"""The CI workflow tests before it publishes: read from .github/workflows/book.yml itself."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as True
    triggers = workflow.get("on", workflow.get(True))
    return {name: (value or {}) for name, value in triggers.items()}


def _needs(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def test_the_test_job_runs_make_test_on_every_push_and_pull_request():
    workflow = _workflow()
    triggers = _triggers(workflow)
    assert "pull_request" in triggers and "push" in triggers
    assert "branches" not in triggers["push"], "tests must run on a push to any branch"
    runs = [step.get("run", "").strip() for step in workflow["jobs"]["test"]["steps"]]
    assert "make test" in runs
    assert "if" not in workflow["jobs"]["test"], "the test job must not be skipped"


def test_deploy_needs_the_tests_and_the_build():
    deploy = _workflow()["jobs"]["deploy"]
    assert {"test", "build"} <= set(_needs(deploy))


def test_ci_entry_point_is_the_readme_test_command():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert lines[-1] == "exec make test"
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8")
