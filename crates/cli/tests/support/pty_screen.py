"""Runs a command in a pseudo-terminal under a VT100 emulator (pyte) and prints what the screen
shows at the end, then `exit N`: what a person at a terminal would see, after cursor moves and
line clears (a progress bar drawn over and cleared) have been applied.

Usage: pty_screen.py -- COMMAND [ARGS...]
"""

import os
import pty
import struct
import fcntl
import sys
import termios

import pyte

ROWS, COLUMNS = 40, 240


def main() -> int:
    argv = sys.argv[sys.argv.index("--") + 1 :]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"] = str(COLUMNS)
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.ByteStream(screen)
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        stream.feed(data)
    _, status = os.waitpid(pid, 0)
    for line in screen.display:
        if line.strip():
            print(line.rstrip())
    print(f"exit {os.waitstatus_to_exitcode(status)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
