"""The instructor's side of the exercises: nbgrader preprocessors and submission checks.

Used by ``nbgrader_config.py`` (preprocessors) and by ``make autograde`` (``python -m
grading.submissions``). nbgrader does the grading; these pieces make one broken submission
graded as what it is, with a note in its feedback, instead of stopping the class.
``grading.parallel`` grades a class on Dask (``make autograde``): ``grading.scratch`` is what a
worker does with one submission, ``grading.merge`` how the coordinator writes it, atomically.
"""
