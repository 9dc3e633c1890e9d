"""Two featurizers' counts side by side (server/nlu_speedups.py) are exactly what scipy's hstack
makes of them: the same values, positions, order and types. The classifier as a whole is
compared with Rasa's own in tests/server/test_graph_runner.py."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from rasa.shared.nlu.training_data.features import Features

from ats.settings import ServerSettings
from server import patches
from server.nlu_speedups import side_by_side

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
