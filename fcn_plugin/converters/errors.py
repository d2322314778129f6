"""The error every weight converter and check raises on bad input."""


class WeightFileError(ValueError):
    """A weight file is unreadable, unsafe or does not fit the FCN net.

    The message names the file and lists the layers and shapes at fault.
    """


class MissingWeightFileError(WeightFileError, FileNotFoundError):
    """A weight file a config names does not exist.

    The message names the setting and the converter command that makes it.
    """
