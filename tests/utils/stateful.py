"""Running the hypothesis state machines at the depth of the active profile.

Every state machine runs through `run_machine`, so their depth is set in one place
(MACHINE_DEPTH, selected by HYPOTHESIS_PROFILE like the other hypothesis settings):
shallow locally, and in CI at least 10,000 checks of every invariant (the invariants run
after every step: 200 examples of up to 50 steps, and more examples where hypothesis
ended some early). The machines run in-process (their
modules are marked `in_process`: tests/utils/inprocess.py), which is what makes that
depth affordable.

`run_machine` also counts how often the invariants ran and how long the machine took;
the end-of-run summary prints those figures (tests/utils/timing.py).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

from hypothesis import settings
from hypothesis.stateful import invariant, run_state_machine_as_test

# profile: (examples, steps per example)
MACHINE_DEPTH = {
    "dev": (25, 20),
    "ci": (200, 50),
    "fuzz": (200, 50),
}
# In CI every invariant is checked at least this often: hypothesis ends some examples
# early (a run of large draws fills its buffer), so a machine that falls short runs more
# examples until it gets there.
CI_MIN_CHECKS = 10_000


@dataclass
class MachineRun:
    examples: int = 0
    checks: int = 0
    seconds: float = 0.0


# Machine name -> what its run did, for the end-of-run summary.
RUNS: dict[str, MachineRun] = {}


def profile() -> str:
    return os.environ.get("HYPOTHESIS_PROFILE", "dev")


def depth() -> tuple[int, int]:
    """(examples, steps per example): the profile's, or MACHINE_DEPTH=200x50 from the
    environment to try another depth."""
    if override := os.environ.get("MACHINE_DEPTH"):
        examples, steps = override.lower().split("x")
        return int(examples), int(steps)
    return MACHINE_DEPTH[profile()]


def run_machine(machine_class, *, steps_at_least: int = 0) -> MachineRun:
    """Run `machine_class` as a test at the profile's depth (at least `steps_at_least`
    steps per example for a machine that needs a few steps to reach its later states).
    Returns what the run did."""
    examples, steps = depth()
    run = RUNS.setdefault(machine_class.__name__, MachineRun())

    class Counted(machine_class):
        # Invariants run after every step: this one counts how often they all ran.
        @invariant()
        def _count_checks(self):
            run.checks += 1

        def teardown(self):
            run.examples += 1
            super().teardown()

    Counted.__name__ = Counted.__qualname__ = machine_class.__name__
    minimum = CI_MIN_CHECKS if profile() in ("ci", "fuzz") else 0
    checks_before, examples_before = run.checks, run.examples
    start = time.perf_counter()
    try:
        for _ in range(3):
            run_state_machine_as_test(
                Counted, settings=settings(max_examples=examples, stateful_step_count=max(steps, steps_at_least))
            )
            checks, done = run.checks - checks_before, run.examples - examples_before
            if checks >= minimum:
                break
            # Hypothesis ended some examples early: enough more examples to reach the count.
            examples = math.ceil((minimum - checks) / (checks / done) * 1.2) + 1
    finally:
        run.seconds += time.perf_counter() - start
    assert checks >= minimum, f"{machine_class.__name__}: invariants checked {checks} times, fewer than {minimum}"
    return run
