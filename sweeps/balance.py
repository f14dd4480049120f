"""The order in which a sweep's stacks go to its workers, and where a stack is split.

The pools hand the next stack to the first free worker, in the order given
(:mod:`sweeps.pools`). Costliest first is the classic rule for that (longest processing
time first): the slowest stack never starts last and idles the other workers. It is not
enough when there are fewer stacks than workers, or stacks of very unequal cost: the
material's MNIST grid on two workers is one stack of three ``[784, 128, 128, 10]`` nets
and one of three ``[784, 30, 10]`` nets, five times cheaper, so one worker trains the big
stack alone while the other finishes the small one and idles. :func:`balance` splits the
costliest stacks (in halves, their jobs kept in order) until the workers would finish
together, and keeps the fewest pieces that come closest: stacking still pays on small nets.

Splitting never changes a job's numbers with the default order (each replica gathers its
own batches and multiplies them alone: a job is bit for bit the same in any stack). Jobs
with a shared ``shuffle_seed`` multiply their first layers as one product, whose rounding
depends on how many share it: there a split changes the last bits only (about 1e-13
relative), as stacking them does (:mod:`sweeps.training`).
"""
import heapq
import math

from sweeps.tasks import TaskError, make_task
from sweeps.tasks.cache import data_for

#: The workers count as finishing together when the planned finish of the last is within
#: this fraction of an even share.
TOLERANCE = 0.05


def stack_cost(config: dict, n_jobs: int, shape: tuple) -> float:
    """Relative training cost of ``n_jobs`` jobs of ``config``: jobs x epochs x rows x
    weights, what the products of training scale with.

    Parameters
    ----------
    config : dict
        A resolved job config (``hidden``, ``epochs``).
    n_jobs : int
    shape : tuple of int
        ``(rows, n_in, n_out)``: training rows, input and output units (``task_shape``).
    """
    rows, n_in, n_out = shape
    widths = [n_in, *config["hidden"], n_out]
    weights = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    return float(n_jobs) * config["epochs"] * rows * weights


def task_shape(config: dict, data=None) -> tuple:
    """``(rows, n_in, n_out)`` of the data set ``config`` trains on.

    Parameters
    ----------
    config : dict
        A resolved job config (``task``, ``task_params``, ``output``).
    data : dict or None, default=None
        ``sweeps.tasks.cache.prepare``'s handles: the data set's cache entry is opened
        (memory-mapped) when it has one; else the driver's own copy (``make_task``, built
        when the spec was resolved). A data set that cannot be built is ``(1, 1, 1)``:
        its jobs fail at once and cost nothing.
    """
    handle = None if data is None else data_for(data, [config])
    try:
        ds = handle.open() if handle is not None else make_task(config["task"],
                                                                **config["task_params"])
    except TaskError:
        return 1, 1, 1
    return len(ds.X_train), ds.n_in, ds.output_units(config["output"])


def plan_stacks(stacks: list, workers: int, data=None) -> list:
    """The stacks of ``sweeps.training.stack_jobs`` in the order they go to ``workers``
    workers, split where one would hold the others up (:func:`balance` with
    :func:`stack_cost`; ``data`` as for :func:`task_shape`)."""
    shapes = {}

    def cost(stack):
        config, jobs = stack
        which = (config["task"], repr(config["task_params"]), config["output"])
        if which not in shapes:
            shapes[which] = task_shape(config, data)
        return stack_cost(config, len(jobs), shapes[which])

    return balance(stacks, workers, cost)


def balance(stacks: list, workers: int, cost, tolerance: float = TOLERANCE) -> list:
    """Costliest first, the costliest stacks split until ``workers`` finish together.

    Parameters
    ----------
    stacks : list of (dict, list)
        ``(config, jobs)`` pairs: jobs that train together, as ``stack_jobs`` makes them.
    workers : int
        Workers that take the stacks in order, each the next one when it is free.
    cost : callable
        ``cost((config, jobs))`` -> relative cost (linear in ``len(jobs)``).
    tolerance : float, default=TOLERANCE

    Returns
    -------
    list of (dict, list)
        The same jobs, each exactly once, costliest first (ties in the given order). While
        the last worker would finish more than ``tolerance`` after an even share, the
        costliest stack of more than one job is split in halves (its first jobs in the
        first half); of all the splits tried, the one with the earliest finish is kept,
        the fewest pieces on a tie. Deterministic: the same stacks give the same pieces.
    """
    # (cost, (stack number, first job's place in it), stack): ties keep the jobs' order
    pieces = _sorted([(cost(s), (i, 0), s) for i, s in enumerate(stacks)])
    if workers < 2 or not pieces:
        return [s for *_, s in pieces]
    share = sum(p[0] for p in pieces) / workers
    span = makespan([p[0] for p in pieces], workers)
    best = span, pieces
    while span > (1 + tolerance) * share:
        at = next((i for i, (*_, (_, jobs)) in enumerate(pieces) if len(jobs) > 1), None)
        if at is None or pieces[at][0] <= tolerance * share:
            break  # nothing left to split, or only pieces too small to matter
        pieces = _halve(pieces, at, cost)
        span = makespan([p[0] for p in pieces], workers)
        if span < best[0] * (1 - 1e-9):
            best = span, pieces
    return [s for *_, s in best[1]]


def _halve(pieces: list, at: int, cost) -> list:
    """``pieces`` with piece ``at`` split in two (the first half the larger), re-sorted."""
    _, (number, place), (config, jobs) = pieces[at]
    half = math.ceil(len(jobs) / 2)
    halves = [(config, jobs[:half]), (config, jobs[half:])]
    return _sorted(pieces[:at] + pieces[at + 1:] + [
        (cost(h), (number, place + offset), h) for h, offset in zip(halves, (0, half))])


def _sorted(pieces: list) -> list:
    return sorted(pieces, key=lambda p: (-p[0], p[1]))


def makespan(costs: list, workers: int) -> float:
    """When the last of ``workers`` finishes ``costs`` handed out in order, each to the
    first free worker (what the pools do)."""
    free = [0.0] * workers
    for c in costs:
        heapq.heappush(free, heapq.heappop(free) + c)
    return max(free)
