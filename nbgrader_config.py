"""nbgrader configuration of the course. Run every nbgrader command from this folder (make does).

Layout (nbgrader's, with the sources under solutions/):
    solutions/source/<assignment>/<assignment>.ipynb   sources with solutions and hidden tests
    release/<assignment>/                              generated student version (make release)
    submitted/<student>/<assignment>/                  collected submissions (make collect)
    autograded/, feedback/, gradebook.db               nbgrader's working files (git-ignored)
The student versions are also copied to chapters/exercises/ for the book (make release).
"""
import os
import warnings

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from nbgrader.validator import Validator
from sqlalchemy.exc import SAWarning

import book_ext
from book_ext.exercise_release import PinEngine
from grading.exchange import QuietList, exchange_root
from grading.feedback import TEMPLATES, FeedbackParts
from grading.kernel_boundary import WithholdAfterSecrets
from grading.preprocessors import (
    AutograderNotes,
    HideHiddenTests,
    RestoreTestCells,
    StderrIsNotFailure,
)
from grading.rubric import HideRubric, ShowRubric
from grading.sandbox import SandboxedExecute
from grading.variants import InstantiateVariant
from grading.verdict import HiddenInputs, VerdictOutside
from lib.exercises.validate_summary import SummaryFirst

c = get_config()  # noqa: F821 (provided by traitlets)

# nbgrader 0.9's gradebook triggers harmless SQLAlchemy autoflush warnings for every new
# submission; they buried the log's real warnings
warnings.filterwarnings(
    "ignore", message=r"Object of type <\w+> not in session", category=SAWarning
)

c.CourseDirectory.course_id = "shallow-to-deep"
c.CourseDirectory.source_directory = os.path.join("solutions", "source")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]
# the gradebook: $DB_URL if set (PostgreSQL for a large class: README, "A class of thousands"),
# else SQLite in gradebook.db
if os.environ.get("DB_URL"):
    c.CourseDirectory.db_url = os.environ["DB_URL"]

# -- release: the exercise's variant recorded in variants.json (grading/variants.py: drawn from
#    the course secret by `make release`, the default if none is recorded) written into the
#    notebook, then the set-up cell pins the engine wheel of `make release` and the course home of
#    _config.yml; first, so that nbgrader checksums and stores the cells as released
c.GenerateAssignment.preprocessors = [InstantiateVariant, PinEngine] + list(
    GenerateAssignment().preprocessors
)
# the repository that holds the engine and its released wheel (this config may be copied into
# a course folder elsewhere: COURSE=, the tests' temporary courses)
c.PinEngine.course_root = os.path.dirname(os.path.dirname(os.path.abspath(book_ext.__file__)))

# -- autograding: one broken submission never stops the class ------------------------------------
c.Execute.timeout = 120  # wall-clock seconds per cell; the MNIST training cell needs ~10 s
c.Execute.interrupt_on_timeout = True  # an infinite loop is interrupted, the cell scores 0
c.LimitOutput.max_lines = 200  # huge outputs are cut (and noted)
c.LimitOutput.max_traceback = 60
c.RestoreTestCells.add_missing_cells = True  # deleted test cells are put back and run
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    RestoreTestCells,
    CheckCellMetadata,
]
# The verdict is computed outside the student's kernel (grading/verdict.py): HiddenInputs gives
# each graded cell its per-student inputs before the notebook runs; VerdictOutside, right after
# it ran, scores each graded cell from the values it handed out, against the instructor's
# solution run in this process. Nothing the kernel printed or raised decides a score.
c.Autograde.autograde_preprocessors = [
    HiddenInputs,
    SandboxedExecute,
    VerdictOutside,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    StderrIsNotFailure,
    AutograderNotes,
    ShowRubric,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# -- the hidden inputs' seeds: ONE secret (grading/course_secret.py). By default the first grading
#    run writes a random one into course_secret beside gradebook.db (mode 0600, git-ignored; back
#    it up with the grade book: without it a re-grade draws other inputs). To choose it instead:
#    c.CourseSecret.secret = "<random, 16+ characters>". A public one (the course id) is refused.

# -- the sandbox: every submission's kernel runs in bubblewrap (grading/sandbox.py) ---------------
# SandboxedExecute (above, in place of ResilientExecute) runs each kernel with only the Python
# environment, lib/ (read-only) and its own autograded folder (writable); no network, no course
# files. It refuses to grade when the sandbox cannot start; `make autograde UNSAFE_NO_SANDBOX=1`
# (SandboxedExecute.unsafe_no_sandbox) grades without it, warning on every notebook.
c.SandboxedKernelManager.cpu_seconds = 600  # CPU seconds per kernel (a whole notebook)
c.SandboxedKernelManager.address_space = 4 * 1024**3  # bytes of memory (address space) per process
c.SandboxedKernelManager.max_processes = 64  # processes + threads of the kernel's uid
c.SandboxedKernelManager.max_open_files = 256
c.SandboxedKernelManager.max_file_size = 64 * 1024**2  # bytes per written file
c.SandboxedKernelManager.tmp_size = 256 * 1024**2  # bytes of the private /tmp
c.SandboxedExecute.max_output_bytes = 8 * 1024**2  # output per notebook; the rest is dropped
c.SandboxedExecute.notebook_seconds = 900  # wall-clock seconds per notebook (sleeping counts)
c.SandboxedKernelManager.work_size = 256 * 1024**2  # bytes of the kernel's own folder (its cwd)
# Every limit a submission hits is named in its feedback (the notes at the top); it is graded as
# far as it ran. What crosses from a kernel or a student's folder to the grader, and in which
# form: grading/kernel_boundary.py. nbgrader copies a student's folder following links: before it
# does (autograde: submitted -> autograded; feedback: autograded -> feedback), the folder is made
# plain (links, FIFOs, devices, hard links removed and logged; a linked notebook graded as empty).
c.Autograde.pre_convert_hook = "grading.kernel_boundary.before_convert"
c.GenerateFeedback.pre_convert_hook = "grading.kernel_boundary.before_convert"
# `make collect` from nbgrader's exchange: plain files only (grading/collect.py)
c.ExchangeFactory.collect = "grading.collect.PlainExchangeCollect"

# -- deadlines (deadlines.toml, written into the gradebook by `make autograde`) and late policy ----
c.AssignLatePenalties.plugin_class = "grading.deadlines.LatePolicy"
c.LatePolicy.per_day = 0.10  # each started day late costs 10 % of the notebook's points

# -- feedback never shows hidden tests or the graders' rubric; parts named, MathJax offline --------
# WithholdAfterSecrets: no output of the kernel from the first cell that ran hidden tests or
# hidden inputs on (it could print them, however encoded); the grader's verdict is shown
c.GenerateFeedback.preprocessors = [
    WithholdAfterSecrets,
    HideHiddenTests,
    HideRubric,
    GetGrades,
    FeedbackParts,
    CSSHTMLHeaderPreprocessor,
]
c.GenerateFeedback.exporter_class = "grading.feedback.FeedbackPage"
c.FeedbackPage.template_name = "course_feedback"  # the formgrader keeps its own template
c.FeedbackPage.extra_template_basedirs = [str(TEMPLATES)]

# -- the JupyterHub exchange (make hub-release, hub-collect, hub-feedback; README "Teaching on
#    JupyterHub"): $NN_COURSE_EXCHANGE, else /srv/nbgrader/exchange. Made once by an administrator
#    (install -d -m 1777: world-writable, as each student's nbgrader demands, with the sticky bit,
#    so that nobody renames the course's folder); the make targets never create it. Students' own
#    nbgrader needs the same root and course id (their /etc/jupyter/nbgrader_config.py).
c.Exchange.root = str(exchange_root())
# the formgrader lists the exchange on every page: without one, it says nothing (no exchange
# buttons) instead of "Unwritable directory, please contact your instructor" each time
c.ExchangeFactory.list = QuietList

# -- zip_collect: files downloaded from an LMS, named e.g. (Canvas)
#    downloaded/<assignment>/archive/submissions.zip  holding
#        jdoe_12345_67890_01_neurons_perceptron.ipynb
#    (a resubmission suffix like "-1" is dropped; other names are copied as they are and
#    `make autograde` grades a renamed notebook under the right name)
c.ZipCollectApp.collector_plugin = "grading.collect.LmsFileNames"  # also reads the times in the zip
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$"
)

# -- Validate (toolbar button, `nbgrader validate`): one table of the parts first, then one short
#    diagnosis per failing part, every line within 80 columns (lib/exercises/validate_summary.py)
# (nbgrader declares Validator.preprocessors without config=True; declared so here, or the
# setting below would be ignored with a warning)
Validator.class_traits()["preprocessors"].tag(config=True)
c.Validator.preprocessors = [ClearOutput, Execute, SummaryFirst]
c.Validator.width = 80
c.Validator.failed_warning = "Not every part passes yet: the parts first, then what to fix.\n"

# -- export: nbgrader's columns plus each submission's status (missing, awaiting hand grading) ----
c.ExportApp.plugin_class = "grading.report.GradesExport"
