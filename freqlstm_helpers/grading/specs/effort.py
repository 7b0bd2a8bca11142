"""How hard each exercise is and how long it takes a student: the instructor's planning numbers.

Difficulty: 1 transcribe a formula; 2 a few lines with one decision; 3 a loop or a
control whose design matters; 4 the core of a notebook (a training loop, a window of
truncated BPTT, a test a cheat cannot pass). Minutes are a typical student's time,
reading the prompt included. Kept apart from the graded specs so the table can be
regenerated without touching what grades.
"""
EFFORT: dict[str, tuple[int, int]] = {  # id: (difficulty 1-4, minutes)
    "01.1": (1, 5), "01.2": (2, 15), "01.3": (1, 5), "01.4": (2, 15),
    "02.1": (2, 20), "02.2": (4, 40), "02.3": (2, 15),
    "03.1": (4, 30), "03.2": (1, 5), "03.3": (1, 5), "03.4": (3, 15), "03.5": (2, 10),
    "04.1": (2, 15), "04.2": (1, 5), "04.3": (4, 30), "04.4": (1, 5),
    "05.1": (1, 5), "05.2": (2, 15), "05.3": (4, 30), "05.4": (2, 10),
}
