"""``python -m factdesk …``: the same as the ``factdesk`` command (e.g. ``python -m factdesk eval verify FILE``)."""

from factdesk.cli import main

if __name__ == "__main__":
    main()
