"""Two featurizers' counts side by side (server/nlu_speedups.py) are exactly what scipy's hstack
makes of them: the same values, positions, order and types; the count featurizers' sequence
features, worked out only when read, are Rasa's. The classifier as a whole is
compared with Rasa's own in tests/server/test_graph_runner.py."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ats.settings import ServerSettings
from server import patches
from server.nlu_speedups import DeferredFeatures, one_row, side_by_side

SHAPES = [((1, 300), (1, 170)), ((7, 300), (7, 5)), ((1, 0), (1, 12)), ((3, 40), (3, 0))]


def same(ours: sp.coo_matrix, scipys: sp.coo_matrix) -> None:
    assert type(ours) is type(scipys) and ours.shape == scipys.shape
    for name in ("data", "row", "col"):
        assert getattr(ours, name).dtype == getattr(scipys, name).dtype, name
        assert np.array_equal(getattr(ours, name), getattr(scipys, name)), name


@pytest.mark.parametrize(("left", "right"), SHAPES)
@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.int64, np.float32)])
def test_side_by_side_is_scipys_hstack(left, right, dtypes) -> None:
    generator = np.random.default_rng(7)
    a = sp.random(*left, density=0.05, format="coo", dtype=dtypes[0], random_state=generator)
    b = sp.random(*right, density=0.3, format="coo", dtype=dtypes[1], random_state=generator)
    same(side_by_side(a, b), sp.hstack([a, b]))


def test_features_combine_as_before_and_refuse_what_rasa_refuses() -> None:
    counts = sp.coo_matrix(np.array([[0.0, 2.0, 0.0, 1.0]]))
    letters = sp.coo_matrix(np.array([[1.0, 0.0, 3.0]]))
    patches.undo_all()
    expected = Features(counts, "sentence", "text", "words")
    expected.combine_with_features(Features(letters, "sentence", "text", "letters"))
    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    try:
        combined = Features(counts, "sentence", "text", "words")
        combined.combine_with_features(Features(letters, "sentence", "text", "letters"))
        same(combined.features, expected.features)
        assert combined.fingerprint() == expected.fingerprint()
        two_rows = Features(sp.coo_matrix(np.ones((2, 3))), "sequence", "text", "letters")
        with pytest.raises(ValueError, match="sequence dimensions do not match"):
            combined.combine_with_features(two_rows)
        # another format: Rasa's own way
        csr = Features(sp.csr_matrix(np.ones((1, 2))), "sentence", "text", "csr")
        combined.combine_with_features(csr)
        assert combined.features.shape == (1, 9)
    finally:
        patches.undo_all()


TRAINING = [
    ("hello there", "greet"),
    ("hi", "greet"),
    ("where is my application", "check_status"),
    ("any news on AP-6VFK-8RMB?", "check_status"),
    ("I want to talk to a person", "human"),
]
SAID = ["hello", "any news on my application AP-6VFK-8RMB", "zzz unknown words", "??"]


@pytest.fixture(scope="module", params=[("word", 1, 2), ("char_wb", 2, 5)])
def featurizers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    analyzer, low, high = request.param
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), storage, Resource("tokens"), context
    )
    config = {
        **CountVectorsFeaturizer.get_default_config(),
        "analyzer": analyzer,
        "min_ngram": low,
        "max_ngram": high,
    }
    counts = CountVectorsFeaturizer.create(config, storage, Resource("counts"), context)
    data = TrainingData([Message(data={TEXT: text, INTENT: intent}) for text, intent in TRAINING])
    tokenizer.process_training_data(data)
    counts.train(data)
    return tokenizer, counts


def featurized(tokenizer, counts, text: str) -> Message:
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    counts.process([message])
    return message


@pytest.mark.parametrize("text", SAID)
def test_sequence_features_when_read_are_rasas(featurizers, text: str) -> None:
    tokenizer, counts = featurizers
    patches.undo_all()
    expected = featurized(tokenizer, counts, text)
    expected_combined = expected.get_sparse_features(TEXT)
    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    try:
        ours = featurized(tokenizer, counts, text)
        deferred = [f for f in ours.features if isinstance(f, DeferredFeatures)]
        assert len(deferred) == 1 and deferred[0]._work_out is not None, "not worked out yet"
        # the classifier's way: the sentence features alone, the sequence ones left unread
        _, sentence = ours._filter_sparse_features(TEXT, [])
        assert Message._combine_features(sentence, []).features.shape[0] == 1
        assert deferred[0]._work_out is not None
        assert [(f.type, f.attribute, f.origin) for f in ours.features] == [
            (f.type, f.attribute, f.origin) for f in expected.features
        ]
        for mine, rasas in zip(ours.features, expected.features, strict=True):
            same(mine.features, rasas.features)
        # read as a component that uses them would: combined, copied, compared
        combined = ours.get_sparse_features(TEXT)
        for mine, rasas in zip(combined, expected_combined, strict=True):
            same(mine.features, rasas.features)
        # a copy (as Rasa combines features) holds the matrix, not the featurizer
        unread = next(
            f for f in featurized(tokenizer, counts, text).features if f.type == "sequence"
        )
        copied = copy.deepcopy(unread)
        assert type(copied) is Features and not hasattr(copied, "_work_out")
        same(copied.features, expected.features[0].features)
        assert ours.fingerprint() == expected.fingerprint()
    finally:
        patches.undo_all()


def rasas_row(blocks: list[sp.coo_matrix]) -> sp.csr_matrix:
    """Rasa's _create_X for one message with these sparse sentence features and no dense ones."""
    patches.undo_all()
    features = [Features(block, "sentence", TEXT, f"f{n}") for n, block in enumerate(blocks)]
    combined = Message._combine_features(features, [])
    return sp.vstack([sp.hstack([sp.csr_matrix(combined.features), sp.csr_matrix([])])])


def coo_row(width: int, columns: list[int], dtype: type, rng: np.random.Generator) -> sp.coo_matrix:
    data = rng.integers(1, 5, len(columns)).astype(dtype)
    return sp.coo_matrix((data, ([0] * len(columns), columns)), shape=(1, width))


@pytest.mark.parametrize("seed", range(12))
def test_one_message_row_is_rasas(seed: int) -> None:
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(rng.integers(1, 4)):
        width = int(rng.integers(0, 40))
        # unsorted, repeated and no columns at all, as a featurizer may give them
        columns = list(rng.integers(0, width, rng.integers(0, 6))) if width else []
        dtype = rng.choice([np.int64, np.float64, np.float32, np.int32])
        blocks.append(coo_row(width, columns, dtype, rng))
    mine, rasas = one_row(blocks), rasas_row(blocks)
    assert type(mine) is type(rasas) and mine.shape == rasas.shape
    for name in ("data", "indices", "indptr"):
        assert getattr(mine, name).dtype == getattr(rasas, name).dtype, name
        assert np.array_equal(getattr(mine, name), getattr(rasas, name)), name
