"""bench/beir.py reads a SQuAD file as a retrieval set: question -> its paragraph."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("semfind_bench_beir", ROOT / "bench" / "beir.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


beir = _load()


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
