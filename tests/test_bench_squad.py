"""bench/beir.py reads a SQuAD file as a retrieval set: question -> its paragraph."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import load_bench

beir = load_bench("beir")


def test_each_question_points_at_the_paragraph_holding_its_answer(tmp_path: Path) -> None:
    squad = {
        "data": [
            {
                "title": "Solar_System",
                "paragraphs": [
                    {
                        "context": "The Sun holds most of the mass.",
                        "qas": [{"id": "a", "question": "What holds the mass?", "answers": []}],
                    },
                    {
                        "context": "Jupiter is the largest planet.",
                        "qas": [
                            {"id": "b", "question": "Largest planet?", "answers": []},
                            {"id": "c", "question": "What is Jupiter?", "answers": []},
                        ],
                    },
                ],
            }
        ]
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(squad))
    corpus = list(beir.load_corpus(path))
    assert corpus == [
        ("Solar_System-0", "Solar System", "The Sun holds most of the mass."),
        ("Solar_System-1", "Solar System", "Jupiter is the largest planet."),
    ]
    assert beir.load_queries(path) == {
        "a": "What holds the mass?",
        "b": "Largest planet?",
        "c": "What is Jupiter?",
    }
    assert beir.load_qrels(path, "test") == {
        "a": {"Solar_System-0": 1},
        "b": {"Solar_System-1": 1},
        "c": {"Solar_System-1": 1},
    }
    assert beir.load_qrels(path, "train") == {}
