"""The instructor's side of the exercises: what `make` runs around nbgrader, one module per step.

    collect        every collect route records when each submission arrived (``timestamp.txt``)
    deadlines      due dates (``deadlines.toml``) into the gradebook; the course's late policy
    submissions    renamed or missing notebooks made gradeable before autograding
    regrade        autograde what is new, resubmitted or graded with changed tests; nothing else
    report         the score table after autograding and the grades export (with status)
    rubric         the written parts' model answer and rubric: for the grader, not the student
    feedback       feedback pages: never stale silently, parts named, MathJax offline
    part_names     each graded cell's part name, as the notebook names it
    verdict        the grade computed outside the student's kernel, from the values it handed out
    parts/         per assignment, each graded part's hidden inputs, judge and allowlist
    own_work       a static read of every student cell: per part, only what its allowlist names
    preprocessors  nbgrader preprocessors that keep grading robust; ``notes`` their notes cell
    sandbox        every submission's kernel runs in bubblewrap with resource limits
    parallel       a class graded on Dask workers (``make autograde``); only it writes the gradebook
    scratch        what a worker does: one submission graded in a private scratch course
    merge          how the coordinator writes one student's grades: one transaction

nbgrader does the grading (configured by ``nbgrader_config.py``); these pieces make one broken
submission graded as what it is, a grade that student code cannot fake, and a term's
resubmissions, deadlines, hand grading and feedback right by default.
"""
