"""How often `wait` polls Slurm: soon after a job changes phase, seldom while nothing moves."""
from hpcflow.core.states import State
from hpcflow.runtime.runs import next_poll_interval
from hpcflow.runtime.summary import JobSummary


def jobs(**counts: int) -> list[JobSummary]:
    return [JobSummary("map", "square", "map", 100, {State[k]: n for k, n in counts.items()})]


def test_first_poll_and_a_new_phase_poll_at_the_base_interval() -> None:
    assert next_poll_interval(7.0, 0.5, None, jobs(PENDING=100)) == 0.5
    # the job started: some of its elements run now
    assert next_poll_interval(7.0, 0.5, jobs(PENDING=100), jobs(PENDING=92, RUNNING=8)) == 0.5


def test_steady_progress_backs_off_to_four_times_the_base() -> None:
    before, interval = jobs(PENDING=92, RUNNING=8), 0.5
    for done in range(1, 20):
        now = jobs(PENDING=92 - done, RUNNING=8 if done % 3 else 0, SUCCEEDED=done)  # between waves, none runs
        interval = next_poll_interval(interval, 0.5, before, now)
        before = now
    assert interval == 2.0
    # an element failed, or every element ended: the next poll comes soon
    assert next_poll_interval(2.0, 0.5, before, jobs(PENDING=72, RUNNING=8, SUCCEEDED=19, FAILED=1)) == 0.5
    assert next_poll_interval(2.0, 0.5, jobs(RUNNING=1, SUCCEEDED=99), jobs(SUCCEEDED=100)) == 0.5


def test_nothing_moving_backs_off_to_twenty_times_the_base() -> None:
    interval = 0.5
    for _ in range(30):
        interval = next_poll_interval(interval, 0.5, jobs(PENDING=100), jobs(PENDING=100))
    assert interval == 10.0
