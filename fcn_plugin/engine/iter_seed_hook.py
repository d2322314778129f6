"""Per-iteration seeding, so a resumed run repeats the uninterrupted one."""
from typing import Any, Iterator, Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.runner import set_random_seed
from mmseg.registry import HOOKS

from .mmengine_patches import wrap_train_batches

#: Streams of random numbers: one for loading a batch, one for the step.
DATA_STREAM, STEP_STREAM = 0, 1


def iter_seed(seed: int, stream: int, index: int) -> int:
    """A 32-bit seed for ``index`` in ``stream``, derived from ``seed``.

    Args:
        seed (int): The run's seed (``runner.seed``).
        stream (int): :data:`DATA_STREAM` or :data:`STEP_STREAM`.
        index (int): Batch or iteration index.

    Returns:
        int: A seed in ``[0, 2**32)``.
    """
    state = np.random.SeedSequence([seed % 2**63, stream, index])
    return int(state.generate_state(1)[0])


class SeededBatches:
    """Wrap a batch iterator to reseed before each batch is loaded.

    The ``k``-th batch (counted from the first, skipped ones included) is
    loaded right after ``set_random_seed(iter_seed(seed, DATA_STREAM,
    k))`` (MMEngine's seeding of Python's, NumPy's and PyTorch's
    generators), so random transforms running in the main process
    (``num_workers=0``) draw the same numbers whether the batch comes in
    an uninterrupted run or after a resume's skipping of trained batches.
    Worker processes are seeded by MMEngine's ``worker_init_fn`` and replay
    the same batches on resume, so they need nothing more.

    Args:
        batches (Iterator): The train loop's ``dataloader_iterator``.
        seed (int): The run's seed.
    """

    def __init__(self, batches: Iterator, seed: int) -> None:
        self.batches = batches
        self.seed = seed
        self.count = 0

    def __iter__(self) -> 'SeededBatches':
        return self

    def __next__(self) -> Any:
        set_random_seed(iter_seed(self.seed, DATA_STREAM, self.count))
        self.count += 1
        return next(self.batches)


@HOOKS.register_module()
class FCNIterSeedHook(Hook):
    """Reseed all generators at every iteration from ``(seed, iteration)``.

    Training `FCN <https://arxiv.org/abs/1605.06211>`_ takes days, and a
    run killed and resumed with ``--resume`` must go on exactly as if
    never stopped. MMEngine restores the weights, optimizer, schedulers
    and message hub, and its ``InfiniteSampler`` replays the data order,
    but not the state of the random generators: dropout masks (``drop6``,
    ``drop7``) and random transforms after a resume would differ. This
    hook makes the state a function of the iteration alone:

    - before each iteration, Python's, NumPy's and PyTorch's generators
      are seeded from ``(runner.seed, iteration)`` (dropout, and anything
      random in the step);
    - for iteration-based loops, before each batch is loaded they are
      seeded from ``(runner.seed, batch index)`` (see
      :class:`SeededBatches`; MMEngine has no hook point between loading
      a batch and running it, so the loop's batch iterator is wrapped by
      :func:`~fcn_plugin.engine.mmengine_patches.wrap_train_batches`).

    ``runner.seed`` already includes the rank when
    ``randomness.diff_rank_seed=True``, and a resumed runner takes the
    seed recorded in the checkpoint. Add it with
    ``custom_hooks = [dict(type='FCNIterSeedHook')]``; together with
    ``randomness=dict(seed=S, deterministic=True)`` a resumed run then
    reproduces the losses and weights of an uninterrupted one.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._batches: Optional[SeededBatches] = None

    def before_train(self, runner) -> None:
        """Wrap the iteration-based loop's batch iterator."""

        def seeded(batches: Iterator) -> Iterator:
            if isinstance(batches, SeededBatches):
                return batches
            return SeededBatches(batches, runner.seed)

        self._batches = wrap_train_batches(runner.train_loop, seeded)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Any = None) -> None:
        """Seed the generators for this iteration's step."""
        set_random_seed(iter_seed(runner.seed, STEP_STREAM, runner.iter))
