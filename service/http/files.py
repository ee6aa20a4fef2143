"""Library files over HTTP, shared by the API and the web UI: exports as downloads, imports run off
the event loop."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Response

from service.core.errors import ValidationFailed
from service.library.formats import export_file, import_file

MAX_IMPORT_BYTES = 20 * 1024 * 1024


def export_response(resources, principal, format: str, language: str | None = None) -> Response:
    """The library as a download (API and web UI)."""
    templates = resources.library.list(principal, language=language, limit=None)
    content, media_type, filename = export_file(templates, format)
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def run_import(resources, principal, format: str, raw: bytes) -> dict[str, Any]:
    """An uploaded file into the library, off the event loop (API and web UI)."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed("import files are limited to 20 MB")
    return await anyio.to_thread.run_sync(import_file, resources.library, resources.detector, principal, format, raw)
