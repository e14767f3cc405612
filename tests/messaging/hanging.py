"""SMS backends that stop dead at one moment of a send, so a test can kill the worker
there (SIGKILL: no clean-up runs) and see what a restarted worker does. Each writes a
marker file first, so the test knows the worker reached that moment."""

import os
import time
from pathlib import Path

from messaging.backends.sms import FileBackend


def _reached(moment):
    Path(os.environ["HANG_MARKER"]).write_text(moment)
    time.sleep(600)


class HangAfterClaiming(FileBackend):
    """Dies after claiming the row, before the provider is called (the backend is made
    after the claim and before the send is fenced)."""

    def __init__(self):
        super().__init__()
        _reached("claimed")


class HangBeforeTheProviderActs(FileBackend):
    """Dies with the row marked "sending", before the provider did anything."""

    def send(self, message):
        _reached("sending")


class HangAfterTheProviderActs(FileBackend):
    """Dies after the provider took the text, before the row is marked sent."""

    def send(self, message):
        super().send(message)
        _reached("sent")
