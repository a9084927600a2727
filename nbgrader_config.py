"""nbgrader configuration of the course. Run every nbgrader command from this folder (make does).

Layout (nbgrader's, with the sources under solutions/):
    solutions/source/<assignment>/<assignment>.ipynb   sources with solutions and hidden tests
    release/<assignment>/                              generated student version (make release)
    submitted/<student>/<assignment>/                  collected submissions (make collect)
    autograded/, feedback/, gradebook.db               nbgrader's working files (git-ignored)
The student versions are also copied to chapters/exercises/ for the book (make release).
"""
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                    DeduplicateIds, GetGrades, IgnorePattern, LimitOutput,
                                    OverwriteKernelspec, SaveAutoGrades)

from grading.preprocessors import (AutograderNotes, HideHiddenTests, ResilientExecute,
                                   RestoreTestCells, StderrIsNotFailure)

c = get_config()  # noqa: F821 (provided by traitlets)

c.CourseDirectory.course_id = "shallow-to-deep"
c.CourseDirectory.source_directory = os.path.join("solutions", "source")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]
# the gradebook: $DB_URL if set (PostgreSQL for a large class: README, "A class of thousands"),
# else SQLite in gradebook.db
if os.environ.get("DB_URL"):
    c.CourseDirectory.db_url = os.environ["DB_URL"]

# -- autograding: one broken submission never stops the class ------------------------------------
c.Execute.timeout = 120                 # seconds per cell; the MNIST training cell needs ~10 s
c.Execute.interrupt_on_timeout = True   # an infinite loop is interrupted, the cell scores 0
c.LimitOutput.max_lines = 200           # huge outputs are cut (and noted)
c.LimitOutput.max_traceback = 60
c.RestoreTestCells.add_missing_cells = True     # deleted test cells are put back and run
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreTestCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [
    ResilientExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, StderrIsNotFailure,
    AutograderNotes, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# -- feedback never shows hidden tests ------------------------------------------------------------
c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]

# -- zip_collect: files downloaded from an LMS, named e.g. (Canvas)
#    downloaded/<assignment>/archive/submissions.zip  holding  jdoe_12345_67890_01_neurons_perceptron.ipynb
#    (a resubmission suffix like "-1" is dropped; other names are copied as they are and
#    `make autograde` grades a renamed notebook under the right name)
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.zipcollect.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$")
