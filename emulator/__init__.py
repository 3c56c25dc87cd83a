"""Offline emulator of Vertex AI (Imagen, Gemini image, Veo), Pollinations, GCS and PayFast's sandbox.

It speaks the real REST wire formats (Google's model reference,
cloud.google.com/vertex-ai/generative-ai/docs/model-reference/, and Pollinations' APIDOCS.md in
github.com/pollinations/pollinations) so that the product's google-genai and google-cloud-storage
code runs unchanged against it, and it answers with real media: images of the documented sizes,
masked edits, true upscales and playable MP4s. Faults are injected through /_emulator/faults or
`[[fault:KIND]]` markers in a prompt (faults.py). Start it in-process with `start_emulator()`, or
with `manage.py run_emulator`.
"""

from __future__ import annotations

from .faults import FAULT_KINDS
from .payfast import SANDBOX_MERCHANT as PAYFAST_MERCHANT
from .pollinations import EMULATOR_KEY as POLLINATIONS_KEY
from .runner import Emulator, start_emulator

__all__ = ["FAULT_KINDS", "PAYFAST_MERCHANT", "POLLINATIONS_KEY", "Emulator", "start_emulator"]
