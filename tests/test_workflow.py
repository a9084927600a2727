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
    assert any(run.endswith("make test'") or run == "make test" for run in runs), runs
    assert "if" not in workflow["jobs"]["test"], "the test job must not be skipped"


def test_the_tests_run_as_root_without_cap_sys_admin_with_the_readmes_docker_settings():
    """The sandbox tests run for real in CI: in a container without CAP_SYS_ADMIN (as in a
    JupyterHub pod), given exactly what the README tells instructors to give one, after the
    runner's AppArmor restriction of user namespaces is lifted on the host."""
    steps = _workflow()["jobs"]["test"]["steps"]
    runs = [" ".join(step.get("run", "").split()) for step in steps]
    docker = next(i for i, run in enumerate(runs) if run.startswith("docker run"))
    sysctl = runs.index("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")
    assert sysctl < docker
    command = runs[docker]
    options = "--security-opt seccomp=unconfined --security-opt apparmor=unconfined"
    assert options in command and "python:3.11-bookworm" in command and "make test" in command
    for broader in ("--privileged", "--cap-add", "--user"):
        assert broader not in command, f"{broader}: the suite must run as root without SYS_ADMIN"
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
                      .split())
    assert f"docker run --rm -it {options}" in readme
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in readme


def test_deploy_needs_the_tests_and_the_build():
    deploy = _workflow()["jobs"]["deploy"]
    assert {"test", "build"} <= set(_needs(deploy))


def test_ci_entry_point_is_the_readme_test_command():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert lines[-1] == "exec make test"
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8")
