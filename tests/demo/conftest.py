"""The demo stages' tests reuse the run tests' workspaces and test-only predictors."""

from tests.inference.conftest import _test_predictors, text_ws  # noqa: F401
