"""Errors raised when a checkpoint does not hold what the caller asked for."""


class BackboneExportError(ValueError):
    """A checkpoint holds no ResNet backbone that can be exported as asked.

    The message names the file, what was looked for and the key prefixes that
    were found instead, so that the right ``--source`` (or a fix of the file)
    can be chosen from it alone.
    """


class CheckpointMismatchError(RuntimeError):
    """No tensor of a checkpoint matches the module it should initialise.

    Raised by the ``Pretrained`` weight initializer instead of silently
    leaving the module at its random initialisation.
    """


class CheckpointReadError(RuntimeError):
    """A file exists but cannot be read as a PyTorch checkpoint."""
