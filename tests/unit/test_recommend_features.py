"""Item features, the content and social models from files, and the hybrid's weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from muselab.errors import InvalidInputError
from muselab.recommend import Interactions, create_recommender, load_recommender
from muselab.recommend.features import ItemFeatures, read_item_features, text_features
from muselab.recommend.hybrid import Hybrid, parse_parts
from muselab.recommend.social import read_edges


def _inter() -> Interactions:
    users = ["u1", "u1", "u2", "u2", "u3", "u3", "u4"]
    items = ["rock1", "rock2", "rock1", "rock3", "jazz1", "jazz2", "jazz1"]
    return Interactions.from_arrays(users, items, [5, 3, 2, 8, 4, 4, 1])


def test_text_features_link_similar_names() -> None:
    f = text_features(["1", "2", "3"], ["DJ Tiësto", "Tiësto", "Miles Davis"], min_df=1)
    sims = (f.matrix @ f.matrix.T).toarray()
    assert sims[0, 1] > 0.3 and sims[0, 2] < sims[0, 1]
    np.testing.assert_allclose(np.diag(sims), 1.0, rtol=1e-5)


def test_read_table_features_numeric_and_text(tmp_path: Path) -> None:
    p = tmp_path / "items.csv"
    p.write_text("item,tempo,genre\nrock1,120,rock\nrock2,125,rock\nrock3,130,rock\n"
                 "jazz1,90,jazz\njazz2,85,jazz\n")  # fmt: skip
    f = read_item_features(p)
    assert f.n_items == 5 and "tempo" in f.names
    assert any(n.startswith("genre:") for n in f.names)
    only_text = read_item_features(p, text_cols=["genre"])
    assert "tempo" not in only_text.names
    with pytest.raises(InvalidInputError, match="no text column 'mood'"):
        read_item_features(p, text_cols=["mood"])


def test_read_jsonl_features(tmp_path: Path) -> None:
    p = tmp_path / "feats.jsonl"
    rows = [{"item": "rock1", "features": [1.0, 0.0]}, {"item": "jazz1", "features": [0.0, 1.0]}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    f = read_item_features(p)
    assert f.item_ids == ("rock1", "jazz1") and f.matrix.shape == (2, 2)
    p.write_text('{"item": "a", "features": [1, 2]}\n{"item": "b", "features": [1]}\n')
    with pytest.raises(InvalidInputError, match="line 2 has 1 features"):
        read_item_features(p)
    with pytest.raises(InvalidInputError, match="does not exist"):
        read_item_features(tmp_path / "none.jsonl")


def test_item_features_validation() -> None:
    with pytest.raises(InvalidInputError, match="not unique"):
        ItemFeatures.from_dense(["a", "a"], np.eye(2))
    f = ItemFeatures.from_dense(["a", "b"], np.eye(2))
    assert f.align(["b", "zz"]).toarray().tolist() == [[0.0, 1.0], [0.0, 0.0]]
    assert f.coverage(["a", "zz"]) == 0.5


def test_content_model_from_a_file_round_trips(tmp_path: Path) -> None:
    p = tmp_path / "items.tsv"
    p.write_text("item\tgenre\nrock1\trock guitar\nrock2\trock guitar\nrock3\trock guitar\n"
                 "jazz1\tjazz sax\njazz2\tjazz sax\nnewjazz\tjazz sax\n")  # fmt: skip
    inter = _inter()
    model = create_recommender("content", [f"features_path={p}"]).fit(inter)
    assert model.recommend("u4", k=1)[0].item == "jazz2"
    sims = model.similar_items("newjazz", k=2)  # an item nobody played yet
    assert {r.item for r in sims} == {"jazz1", "jazz2"} and sims[0].source == "content"
    loaded = load_recommender(model.save(tmp_path / "content"))
    assert [r.item for r in loaded.similar_items("newjazz", k=2)] == [r.item for r in sims]


def test_social_model_from_a_file(tmp_path: Path) -> None:
    p = tmp_path / "friends.dat"
    p.write_text("userID\tfriendID\r\nu4\tu3\r\nu1\tu2\r\n")
    assert read_edges(p) == [("u4", "u3"), ("u1", "u2")]
    model = create_recommender("social", [f"friends_path={p}"]).fit(_inter())
    assert model.recommend("u4", k=1)[0].item == "jazz2"
    p.write_text("userID\tfriendID\nu4\n")
    with pytest.raises(InvalidInputError, match="row 2 needs two user ids"):
        read_edges(p)
    with pytest.raises(InvalidInputError, match="needs a friendship graph"):
        create_recommender("social").fit(_inter())


def test_hybrid_specs_and_fixed_weights() -> None:
    assert parse_parts("ease:lam=5,itemknn:k=3") == [("ease", {"lam": 5.0}), ("itemknn", {"k": 3})]
    with pytest.raises(InvalidInputError, match="at least two parts"):
        parse_parts("ease")
    with pytest.raises(InvalidInputError, match="cannot contain another hybrid"):
        parse_parts("ease,hybrid")
    with pytest.raises(InvalidInputError, match="must be 2 non-negative numbers"):
        Hybrid(parts="ease,itemknn", weights="1,2,3")
    model = Hybrid(parts="ease:lam=1:min_item_count=1,popularity", weights="3,1").fit(_inter())
    np.testing.assert_allclose(model.learned_weights, [0.75, 0.25])
    assert model.recommend("u1", k=1)[0].item == "rock3"


def test_features_from_an_analysis_table() -> None:
    from types import SimpleNamespace

    from muselab.recommend.features import from_feature_table

    table = SimpleNamespace(
        names=("tempo", "mode", "flat"),
        paths=("music/a.flac", "music/b.flac", "other/c.mid"),
        matrix=np.array([[120.0, 1.0, 3.0], [124.0, 1.0, 3.0], [70.0, 0.0, 3.0]], np.float32),
    )
    f = from_feature_table(table)
    assert f.item_ids == ("a", "b", "c") and f.names == ("tempo", "mode")  # constant column dropped
    sims = (f.matrix @ f.matrix.T).toarray()
    assert sims[0, 1] > 0.9 and sims[0, 2] < 0
    with pytest.raises(InvalidInputError, match="same item id"):
        from_feature_table(SimpleNamespace(names=("x",), paths=("a/s.wav", "b/s.wav"),
                                           matrix=np.ones((2, 1))))  # fmt: skip
