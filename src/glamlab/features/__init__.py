"""Cached item features (image statistics, thumbnails, embeddings) shared by
predictors and monitors."""
