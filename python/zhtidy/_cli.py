"""The ``zhtidy`` command installed with the package: the same command line as the binary
built with cargo (both call the library's ``cli::main``)."""

import signal
import sys


def main() -> None:
    from ._zhtidy import run_cli

    # Python turns SIGINT into KeyboardInterrupt, which it can only raise once Rust returns:
    # Ctrl-C would wait for the whole run. Give the signals back their default actions, as the
    # binary has them (the command line installs its own handlers where it needs them).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(run_cli(["zhtidy", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
