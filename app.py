"""Start the resolution-qa web chat: python app.py [--host H] [--port P] [--data DIR] [--index DIR]."""

import os
from pathlib import Path

from resolution_qa.web import main

if __name__ == "__main__":
    # data/ and index/ beside this file, wherever it is started from (flags and env still win)
    here = Path(__file__).resolve().parent
    os.environ.setdefault("RESOLUTION_QA_DATA", str(here / "data"))
    os.environ.setdefault("RESOLUTION_QA_INDEX", str(here / "index"))
    raise SystemExit(main())
