class CondaError(Exception):
    """conda's base class for expected errors (printed without a crash report)."""

    return_code = 1
