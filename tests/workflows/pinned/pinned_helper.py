"""A module of the user's own, next to the workflow file."""


def value() -> int:
    return 1
