"""Every exercise's self-check in one namespace (tests and tools); the notebooks import their own.

A notebook uses `from freqlstm_helpers.teaching.checks import check03 as check`, so a student
who opens the check for 03.1 reads only notebook 03's. This module gathers all five over the
shared core (teaching/checks/core.py) for code that wants every check at once.
"""
from .teaching.checks.core import *  # noqa: F401,F403
from .teaching.checks.core import (CONCEPTS, FAILED, NOT_DONE, PASSED, CheckFailed, CheckResult,  # noqa: F401
                                   CourseHelperUsed, checks, cmp, cmp_line, forbid_helper, hint,
                                   is_course_helper, run_check, run_verdict)
from .teaching.checks.check01 import *  # noqa: F401,F403
from .teaching.checks.check01 import spectrum_signal, _peak_cases  # noqa: F401
from .teaching.checks.check02 import *  # noqa: F401,F403
from .teaching.checks.check03 import *  # noqa: F401,F403
from .teaching.checks.check04 import *  # noqa: F401,F403
from .teaching.checks.check05 import *  # noqa: F401,F403
from .teaching.checks.core import CONCEPTS  # every notebook's (each module's own CONCEPTS holds its exercises only)  # noqa: E402,F811
