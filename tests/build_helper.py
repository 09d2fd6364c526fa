"""A build in its own process, for crash and lock tests: python build_helper.py DATA INDEX MODE MARKER

MODE: "normal", "slow-embed" (waits inside embedding) or "slow-write" (waits after writing
the first index file). MARKER is created when the slow part starts, so the test knows when
to kill -9 it.
"""

import sys
import time
from pathlib import Path

from fakes import FakeEncoder
from resolution_qa import QAEngine, Settings, store


class SlowEncoder(FakeEncoder):
    def __init__(self, mode: str, marker: str):
        super().__init__()
        self.mode, self.marker = mode, marker

    def encode(self, texts):
        mode, marker = self.mode, self.marker
        if mode == "slow-embed":
            Path(marker).touch()
            time.sleep(60)
        elif mode == "slow-lock":
            with Path(marker).open("a") as handle:
                handle.write(f"start {time.time()}\n")
            time.sleep(1.5)
            with Path(marker).open("a") as handle:
                handle.write(f"end {time.time()}\n")
        return super().encode(texts)


def main(data: str, index: str, mode: str, marker: str) -> None:
    if mode == "slow-write":
        original = store._write

        def slow_write(path, blob):
            digest = original(path, blob)
            Path(marker).touch()
            time.sleep(60)
            return digest

        store._write = slow_write

    engine = QAEngine.open(
        Settings(data_dir=Path(data), index_dir=Path(index)),
        encoder=SlowEncoder(mode, marker),
        force=mode == "slow-lock",
    )
    print(len(engine.data.chunks))


if __name__ == "__main__":
    main(*sys.argv[1:5])
