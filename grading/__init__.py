"""The instructor's side of the exercises: nbgrader preprocessors, the sandbox, submission checks.

Used by ``nbgrader_config.py`` (``preprocessors``; ``sandbox``: every submission's kernel runs in
bubblewrap with resource limits) and by ``make autograde`` (``python -m grading.submissions``).
nbgrader does the grading; these pieces make one broken submission graded as what it is, with a
note in its feedback, instead of stopping the class, and keep a submission's code away from
everything but its own folder.
"""
