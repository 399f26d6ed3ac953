import pytest

from textmine.classify import IssueClassifier
from textmine.segment import Segmenter


def test_estimator_params_round_trip_through_sklearn_clone():
    from sklearn.base import clone, is_classifier

    clf = IssueClassifier(C=0.5, min_df=3)
    copy = clone(clf)
    assert copy is not clf and copy.get_params() == clf.get_params()
    assert is_classifier(clf) and not is_classifier(Segmenter())


def test_estimator_set_params_rejects_unknown_names():
    seg = Segmenter().set_params(hmm=False)
    assert seg.hmm is False
    with pytest.raises(ValueError, match="'colour'"):
        seg.set_params(colour=1)


def test_estimator_repr_shows_changed_params_only():
    assert repr(Segmenter(hmm=False)) == "Segmenter(hmm=False)"
    assert repr(IssueClassifier()) == "IssueClassifier()"


def test_estimator_import_does_not_load_sklearn():
    import subprocess
    import sys

    code = "import sys, textmine.bundle, textmine.batch; print(any(m.startswith('sklearn') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
