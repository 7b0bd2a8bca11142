"""How hard each exercise is and how long it takes a student: the instructor's planning numbers.

Difficulty: 1 transcribe a formula (no exercise is this easy any more: those were folded
into bigger ones); 2 a few lines with one decision each; 3 a control whose design matters;
4 the core of a notebook, the piece its main verdict rests on (the spectrum and its peak
rule, a gradient by hand, a training loop, a window of truncated BPTT, a test a cheat
cannot pass). An exercise with two functions (parts a and b) is one row. Minutes are a typical student's time,
reading the prompt included. Kept apart from the graded specs so the table can be
regenerated without touching what grades.
"""
EFFORT: dict[str, tuple[int, int]] = {  # exercise (test cell): (difficulty 1-4, minutes)
    "01.1": (2, 15), "01.2": (4, 30),
    "02.1": (2, 20), "02.2": (4, 40), "02.3": (2, 15),
    "03.1": (4, 35), "03.2": (3, 20), "03.3": (2, 10),
    "04.1": (2, 15), "04.2": (4, 35),
    "05.1": (2, 20), "05.2": (4, 30), "05.3": (2, 10),
}
