"""Library files over HTTP, shared by the API and the web UI: exports as downloads, imports run off
the event loop."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Response

from service.core.errors import ValidationFailed
from service.library.formats import export_file, import_file, read_file

MAX_IMPORT_BYTES = 20 * 1024 * 1024


def export_response(resources, principal, format: str, language: str | None = None) -> Response:
    """The library as a download (API and web UI)."""
    templates = resources.library.list(principal, language=language, limit=None)
    content, media_type, filename = export_file(templates, format)
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def run_import(resources, principal, format: str, raw: bytes) -> dict[str, Any]:
    """An uploaded file into the library at once, off the event loop (``POST /api/v1/import``)."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed("import files are limited to 20 MB")
    return await anyio.to_thread.run_sync(import_file, resources.library, resources.detector, principal, format, raw)


async def start_import(resources, principal, format: str, raw: bytes) -> dict[str, Any]:
    """An uploaded file as an import job (API and web UI): read and checked now, imported in the
    background; the job reports progress and can be cancelled."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed("import files are limited to 20 MB")

    def submit() -> dict[str, Any]:
        items, problems = read_file(resources.library, resources.detector, principal, format, raw)
        return resources.imports.submit(items, problems, format, principal)

    return await anyio.to_thread.run_sync(submit)
