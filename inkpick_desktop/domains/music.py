"""Music: artists from the HetRec 2011 Last.fm set (default) or freemusi.cc releases.

Content (Last.fm): the artist name as title (1.0) and the tags listeners applied
(labels, 2.0: the name alone says little about an artist's style). freemusi.cc
releases have other fields: the album title, the artist (label), genre and style
tags (labels, 2.0), the netlabel and the track titles as free text.

Collaborative: implicit ALS over play counts, ``log1p`` transformed (counts run
from 1 to 352,698, so raw values would let a few obsessive listeners dominate).
freemusi.cc has no multi-user data: content only, and the notes say so.
"""

from __future__ import annotations

from inkpick_desktop.domains.base import DomainService
from inkpick_desktop.engine.als import AlsConfig
from inkpick_desktop.engine.tfidf import TfidfConfig

SERVICE = DomainService(
    key="music",
    label="Music",
    datasets=("lastfm", "freemusi"),
    tfidf=TfidfConfig(
        field_weights={"title": 1.0, "tags": 2.0},
        label_fields=("tags",),
        stop_words=True,
    ),
    dataset_tfidf={
        "freemusi": TfidfConfig(
            field_weights={
                "title": 1.0,
                "artist": 1.5,
                "genres": 2.0,
                "label": 0.5,
                "description": 0.3,
            },
            label_fields=("artist", "genres", "label"),
            sublinear_tf=True,
            stop_words=True,
        ),
    },
    value_transform="log1p",
    collaborative="als",
    als=AlsConfig(factors=64, iterations=15),
    example_query="radiohed",
    item_noun="artist",
    order=20,
    description="Artists from Last.fm listening data, or freemusi.cc releases.",
)
