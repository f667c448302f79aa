"""Courses: a merged catalog of online courses (default) or OULAD module runs.

Content: the title (1.0), the subjects (labels, 1.5), the provider (label, 0.3:
it says where a course is, hardly what it is about), the institution (label,
0.5) and the description (free text, 0.7, with sublinear term frequency and the
English stop list, so that long syllabi do not drown the title).

Collaborative: implicit ALS over the IBM Skills Network ratings, whose values are
2.0 (audited) and 3.0 (completed). Both mean the learner took the course, so
every event is a positive ("binary"); the OULAD grades (1 withdrawn .. 4
distinction) are treated the same way: a registration is an interest. The
course data are small (1,000 users), so fewer factors and more regularisation.
"""

from __future__ import annotations

from inkpick_desktop.domains.base import DomainService
from inkpick_desktop.engine.als import AlsConfig
from inkpick_desktop.engine.tfidf import TfidfConfig

SERVICE = DomainService(
    key="courses",
    label="Courses",
    datasets=("courses", "oulad"),
    tfidf=TfidfConfig(
        field_weights={
            "title": 1.0,
            "subjects": 1.5,
            "provider": 0.3,
            "institution": 0.5,
            "description": 0.7,
        },
        label_fields=("subjects", "provider", "institution"),
        sublinear_tf=True,
        stop_words=True,
    ),
    value_transform="binary",
    collaborative="als",
    als=AlsConfig(factors=32, regularization=0.1, iterations=15),
    example_query="machne learning",
    item_noun="course",
    order=30,
    description="Online courses from Coursera, edX, Udemy, IBM and free lists.",
)
