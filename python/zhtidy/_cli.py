"""The ``zhtidy`` command installed with the package: the same command line as the binary
built with cargo (both call the library's ``cli::main``)."""

import sys


def main() -> None:
    from ._zhtidy import run_cli

    sys.stdout.flush()
    sys.exit(run_cli(["zhtidy", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
