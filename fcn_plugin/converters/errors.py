"""The error every weight converter and check raises on bad input."""


class WeightFileError(ValueError):
    """A weight file is unreadable, unsafe or does not fit the FCN net.

    The message names the file and lists the layers and shapes at fault.
    """
