"""``python -m textmine``: the same as the ``textmine`` command."""
import sys


def run() -> None:
    from .cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
