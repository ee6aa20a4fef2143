"""Embeddings stored once (issue 12): a second replica, or a restart without a saved index,
builds its index from the database's vectors without encoding them again; a new model embeds once."""

import numpy as np

from index.library import Document, LanguageIndex
from service.core.db import Database
from service.suggest.stored_embeddings import StoredEmbeddings
from tests.unit.test_team_search import HashEmbedder


class Counting(HashEmbedder):
    def __init__(self, name="hash-test"):
        self.name, self.texts = name, 0

    def encode(self, texts):
        self.texts += len(texts)
        return super().encode(texts)


def test_a_second_replica_reads_vectors_instead_of_encoding(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'tact.db'}")
    documents = [Document(n, f"Title {n}", f"body {n}", (f"question {n} one", f"question {n} two")) for n in range(1, 40)]
    first_model = Counting()
    first = LanguageIndex("en", first_model, document_embedder=StoredEmbeddings(first_model, db))
    first.rebuild(documents, "log:1")
    assert first_model.texts == 39 * 4  # title and body, two questions, the title alone
    second_model = Counting()
    stored = StoredEmbeddings(second_model, db)
    second = LanguageIndex("en", second_model, document_embedder=stored)
    second.rebuild(documents, "log:1")
    assert second_model.texts == 0 and stored.hits == 39 * 4
    query = "question 7 two"
    assert first.search(query, k=1).hits[0].template_id == second.search(query, k=1).hits[0].template_id == 7
    assert second_model.texts == 1  # the query itself is always encoded
    # an edit: only the new text is encoded, and stored for the others
    second.apply([Document(7, "Title 7", "body 7", ("question 7 one", "question 7 two", "brand new wording"))], [])
    assert second_model.texts == 2
    other = Counting("another-model")  # a model change embeds once under its own name
    StoredEmbeddings(other, db).encode(["question 7 one"])
    assert other.texts == 1
    np.testing.assert_allclose(StoredEmbeddings(Counting(), db).encode(["brand new wording"]),
                               HashEmbedder().encode(["brand new wording"]))
    db.dispose()


def test_a_model_change_re_embeds_in_the_background_while_the_old_index_serves(tmp_path):
    """Issue 12: with a new model configured, a restart serves the index the previous model built
    (with that model) at once; the new model embeds the library in the background, catches up with
    edits made meanwhile, then takes over and is saved."""
    import json
    import threading
    import time

    from service.auth.models import Principal
    from service.core.settings import ModelSettings, Settings
    from service.core.wiring import open_library
    from service.languages import load_languages
    from service.library.schemas import TemplateCreate
    from service.suggest.embedders import Embedders
    from service.suggest.search import SearchIndexes

    gate = threading.Event()

    class Gated(HashEmbedder):
        name = "model-b"

        def encode(self, texts):
            if len(texts) > 1:  # the library's texts wait; queries do not
                assert gate.wait(30)
            return super().encode(texts)

    admin = Principal("admin", "admin")
    db = Database(f"sqlite:///{tmp_path / 'tact.db'}")

    def indexes(model):
        settings = Settings(data_dir=tmp_path, languages=("en",), models=ModelSettings(by_language={"en": model}))
        library = open_library(settings, db)
        embedders = Embedders()
        embedders._loaded.update({"hash-test": HashEmbedder(), "model-b": Gated()})
        return library, SearchIndexes(settings, load_languages(("en",)), library, embedders)

    library, first = indexes("hash-test")
    for n in range(12):
        library.create(TemplateCreate(title=f"Topic {n}", language="en", body=f"About topic {n}.",
                                      triggers=[f"question about topic {n}", f"help with topic {n}"]), admin)
    first.open()
    first.stop()

    library, search = indexes("model-b")
    started = time.perf_counter()
    search.open()  # does not wait for the new model
    assert time.perf_counter() - started < 5
    assert search.indexes["en"].embedder.name == "hash-test"
    assert search.reembedding["en"]["model"] == "model-b" and search.reembedding["en"]["from"] == "hash-test"
    assert search.search("en", "question about topic 3", 1, None).hits[0].template_id == 4
    added = library.create(TemplateCreate(title="Refunds", language="en", body="Refunds take five days.",
                                          triggers=["where is my refund money"]), admin)
    assert search.search("en", "where is my refund money", 1, None).hits[0].template_id == added.id  # old model
    gate.set()
    deadline = time.monotonic() + 20
    while search.reembedding and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not search.reembedding and search.indexes["en"].embedder.name == "model-b"
    assert len(search.indexes["en"]) == 13  # the edit made while it embedded is in
    assert search.search("en", "where is my refund money", 1, None).hits[0].template_id == added.id
    assert json.loads((tmp_path / "index" / "en" / "manifest.json").read_text())["model"] == "model-b"
    search.stop()
    db.dispose()
