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
    assert first_model.texts == 39 * 3
    second_model = Counting()
    stored = StoredEmbeddings(second_model, db)
    second = LanguageIndex("en", second_model, document_embedder=stored)
    second.rebuild(documents, "log:1")
    assert second_model.texts == 0 and stored.hits == 39 * 3
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
