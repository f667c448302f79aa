"""Qt-free recommendation engines: sparse algebra, TF-IDF, ALS/BPR, fuzzy search,
hybrid blending and diversity."""
