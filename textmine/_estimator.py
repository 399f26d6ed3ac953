"""Base classes giving textmine's estimators scikit-learn's contract without importing
scikit-learn, which costs most of a second: a process that only predicts never loads it.

``get_params``/``set_params`` read the constructor's keyword arguments, so
``sklearn.base.clone``, pipelines and grid searches work as with scikit-learn's own base
classes; ``__sklearn_tags__`` and ``score`` import scikit-learn when they are called.
"""
from __future__ import annotations

import inspect

__all__ = ["BaseEstimator", "ClassifierMixin", "TransformerMixin"]


class BaseEstimator:
    """``get_params``, ``set_params`` and a readable ``repr`` from the constructor's
    keyword arguments; constructors only store them."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return sorted(p.name for p in inspect.signature(init).parameters.values() if p.name != "self" and p.kind in kinds)

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters (with ``deep``, those of nested estimators as
        ``name__parameter``)."""
        out = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params):
        """Set parameters (``name__parameter`` for a nested estimator's); returns self.

        Raises
        ------
        ValueError
            For a name that is not a parameter, naming it and the valid ones.
        """
        valid = self._get_param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid parameters: {valid}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items() if repr(defaults.get(k)) != repr(v)]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False))


class ClassifierMixin:
    """Marks a classifier; ``score`` is the accuracy of ``predict``."""

    _estimator_type = "classifier"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of ``predict(X)`` against ``y`` (exact match for multi-label)."""
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


class TransformerMixin:
    """``fit_transform`` as ``fit`` then ``transform``."""

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()
        return tags

    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X, y)`` then ``transform(X)``."""
        return self.fit(X, y, **fit_params).transform(X)
