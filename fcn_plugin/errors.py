"""The user errors the plugin raises.

Every message names the file or setting at fault and what to do; the
command-line tools print it as one ``error: ...`` line
(``tools/fcn_tools/errors.py``).
"""


class WeightFileError(ValueError):
    """A weight file is unreadable, unsafe or does not fit the FCN net.

    The message names the file and lists the layers and shapes at fault.
    """


class MissingWeightFileError(WeightFileError, FileNotFoundError):
    """A weight file a config names does not exist.

    The message names the setting and the converter command that makes it.
    """


class UnsafeCheckpointError(WeightFileError):
    """A checkpoint holds pickled objects outside the safe allowlist.

    Such a file is never unpickled (that could run arbitrary code).

    Args:
        path (str): The checkpoint file.
        offending (str): The pickled global that was refused, e.g.
            ``posix.system``.
    """

    def __init__(self, path: str, offending: str) -> None:
        self.path = path
        self.offending = offending
        super().__init__(
            f'{path} was not loaded: it holds the pickled object '
            f'{offending}, which a checkpoint of weights never needs '
            '(allowed are tensors, numbers, strings, containers and '
            "MMEngine's training state); unpickling it could run "
            'arbitrary code. Use checkpoints from a source you trust, or '
            'convert the original weights again (docs/weights.md).')


class DataFileError(ValueError):
    """A data file (image or label map) is wrong; the message names it and
    says what to do."""


class NonFiniteLossError(FloatingPointError):
    """The training loss or the weights stopped being finite numbers."""
