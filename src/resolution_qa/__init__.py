"""resolution-qa: offline, verbatim question answering over policy documents.

from resolution_qa import QAEngine
engine = QAEngine.open()
print(engine.ask("Which country sponsored the resolution?").to_json())
"""

import os

# Offline for real: these are read when gradio / huggingface_hub / sentence_transformers are
# imported, so they are set here, before any of them can be.
for _name, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("HF_HUB_DISABLE_TELEMETRY", "1"),
    ("GRADIO_ANALYTICS_ENABLED", "False"),
    ("TOKENIZERS_PARALLELISM", "false"),
    ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
):
    os.environ[_name] = _value

from .config import Settings  # noqa: E402
from .engine import QAEngine, UnknownSource  # noqa: E402
from .schema import Answer, Chunk, Document, Passage, Quote  # noqa: E402

__all__ = ["Answer", "Chunk", "Document", "Passage", "QAEngine", "Quote", "Settings", "UnknownSource"]
__version__ = "0.1.0"
