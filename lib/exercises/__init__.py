"""What the released exercise notebooks import: ``checks``, the visible checks a student runs.

The grade is not decided here: the trusted grading side (``grading/``) computes it outside the
student's kernel. These checks are for learning: they say what is wrong, in a readable order.
"""
