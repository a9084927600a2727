"""The CI workflow tests before it publishes: read from .github/workflows/book.yml itself."""
from __future__ import annotations

import os
import subprocess
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


def _step(job: str, name_starts: str) -> dict:
    steps = _workflow()["jobs"][job]["steps"]
    return next(step for step in steps if step.get("name", "").startswith(name_starts))


def _run_step(step: dict, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The step's shell script, run by bash as the runner would, with ``env`` as the step's env."""
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, capture_output=True,
                          text=True, env={"PATH": os.environ["PATH"], **env}, timeout=60)


def test_a_public_repository_holding_solutions_is_warned_about_loudly(tmp_path):
    step = _step("visibility", "Warn when the solutions are public")
    # the visibility comes from the event context, not from a setting someone may forget
    assert step["env"]["PRIVATE"] == "${{ github.event.repository.private }}"
    assert step["env"]["VISIBILITY"] == "${{ github.event.repository.visibility }}"
    assert "if" not in step and "if" not in _workflow()["jobs"]["visibility"]
    course = tmp_path / "course"
    (course / "solutions" / "source").mkdir(parents=True)
    bare = tmp_path / "bare"
    bare.mkdir()
    cases = [  # (repository's visibility, holds solutions/, warned)
        ({"PRIVATE": "false", "VISIBILITY": "public"}, course, True),
        ({"PRIVATE": "true", "VISIBILITY": "private"}, course, False),
        ({"PRIVATE": "true", "VISIBILITY": "internal"}, course, False),
        ({"PRIVATE": "false", "VISIBILITY": "public"}, bare, False),
    ]
    for visibility, cwd, warned in cases:
        summary = tmp_path / "summary.md"
        summary.write_text("")
        done = _run_step(step, cwd, {**visibility, "REPOSITORY": "someone/course",
                                     "GITHUB_STEP_SUMMARY": str(summary)})
        assert done.returncode == 0, done.stderr       # a warning, never a failure
        assert ("::warning" in done.stdout) == warned, (visibility, cwd, done.stdout)
        assert ("Solutions are public" in summary.read_text()) == warned


def test_the_site_goes_to_this_repository_or_to_the_public_one_named_by_a_variable(tmp_path):
    here = _step("deploy", "Publish to the gh-pages branch of this repository")
    there = _step("deploy", "Publish to the gh-pages branch of the public site repository")
    assert here["if"].replace(" ", "") == "${{vars.PAGES_REPOSITORY==''}}"
    assert there["if"].replace(" ", "") == "${{vars.PAGES_REPOSITORY!=''}}"
    assert there["env"] == {"PAGES_REPOSITORY": "${{ vars.PAGES_REPOSITORY }}",
                            "PAGES_DEPLOY_KEY": "${{ secrets.PAGES_DEPLOY_KEY }}"}
    assert 'git@github.com:${PAGES_REPOSITORY}.git' in there["run"]
    # both push the one commit the step before them made; never the repository itself
    steps = [s.get("name", "") for s in _workflow()["jobs"]["deploy"]["steps"]]
    assert steps.index("Make the site one commit (no history to grow)") < steps.index(here["name"])
    # a variable without its key fails, saying which secret is missing
    done = _run_step(there, tmp_path, {"PAGES_REPOSITORY": "teacher/site", "PAGES_DEPLOY_KEY": "",
                                       "RUNNER_TEMP": str(tmp_path)})
    assert done.returncode == 1 and "::error" in done.stdout and "PAGES_DEPLOY_KEY" in done.stdout
