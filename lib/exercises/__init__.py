"""What the released exercise notebooks import: ``checks``, the visible checks a student runs,
and ``handin``, which hands a graded cell's values to the grader as plain data.

The grade is not decided here: the trusted grading side (``grading/``) computes it outside the
student's kernel, from the values handed out. The checks are for learning: they say what is
wrong, in a readable order.
"""
