from tests.review.conftest import desk

__all__ = ["desk"]
