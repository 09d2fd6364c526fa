"""Scoring a gold file, and fitting the abstention model, through ``QAEngine.analyze``.

Gold format (one JSON object per line, as in ``eval/dev_qa.jsonl``)::

    {"id", "question", "history": [...], "expect": "answer"|"abstain", "gold": [substrings]}
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np

from .akn import plain_characters
from .answering import (
    ABSTAIN_FEATURES,
    ABSTAIN_WORD_FEATURES,
    UNIT_FEATURES,
    WORD_FEATURES,
    Calibration,
    Ranking,
    fit_calibration,
    fit_listwise,
    relative_names,
    with_relative,
    write_calibration,
)
from .boosting import RANKING_TREE_SETTINGS, fit_trees
from .schema import Passage
from .tokens import tokenize


def gold_of(row: dict) -> list[str]:
    """The row's gold strings as the quoted text spells them: a phrase copied from the UN's XML
    keeps its no-break hyphens and spaces, which the text we quote turns into plain ones
    (``akn.plain_characters``); a right quote of "non‑discriminatory" holds "non-discriminatory".

    >>> gold_of({"gold": ["non\u2011discriminatory"]}), gold_of({"expect": "abstain"})
    (['non-discriminatory'], [])

    A gold copied from a catalogue record's JSON line stands for the values it holds, as the
    record's passages show them ("… (meeting record A/78/PV.97)"): any one of them answers, the
    record's own symbol only when it is all there is.

    >>> gold_of({"gold": ['"symbol":"A/RES/78/311","pv":"A/78/PV.97"', '"UNITED KINGDOM","UNITED STATES"']})
    ['A/78/PV.97', 'UNITED KINGDOM', 'UNITED STATES']
    >>> gold_of({"gold": ['"symbol":"A/RES/78/311"']})
    ['A/RES/78/311']
    """
    out = []
    for gold in row.get("gold") or []:
        out += _record_values(gold) if _JSON_FRAGMENT.search(gold) else [gold]
    return [plain_characters(g) for g in out]


_JSON_FRAGMENT = re.compile(r'"\s*[:,]\s*"|^"[\w ]+":')  # "key":"value", "A","B"
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?')


def _record_values(gold: str) -> list[str]:
    values = [m.group(1) for m in _JSON_STRING.finditer(gold) if not m.group(2) and m.group(1)]
    answers = [v for v in values if not re.fullmatch(r"A/RES/\d+/\d+", v)]
    return answers or values or [gold]


def _hit_rank(passages, gold: list[str]) -> int | None:
    for rank, passage in enumerate(passages, start=1):
        if any(g in passage.chunk.text for g in gold):
            return rank
    return None


_KINDS = {"OP": "operative", "PP": "preambular"}  # the gold may abbreviate as the citations do


def _cited(passages, row: dict) -> bool | None:
    """Does the rank-1 passage cite the expected paragraph? None when the gold names none."""
    kind, number = _KINDS.get(str(row.get("kind")).upper(), row.get("kind")), row.get("number")
    if kind not in ("operative", "preambular") or number is None:
        return None
    if not passages:
        return False
    chunk = passages[0].chunk
    return chunk.paragraph_kind == kind and chunk.paragraph_number == int(number)


def baseline_passages(engine, question: str, k: int = 3) -> list[Passage]:
    """The recipe a user could pick instead: BM25 and the same dense model over whole
    paragraphs, reciprocal-rank fusion, the paragraph itself as the answer (it never abstains)."""
    from .retrieval import rrf, top_rows

    data, retriever = engine.index.state
    if not data.chunks:
        return []
    vector = engine.encode((question,))[0]
    limit = min(50, len(data.chunks))
    bm25, paragraph_vectors = _baseline_index(engine, data)
    dense = top_rows(paragraph_vectors @ vector, limit)
    known = [t for t in tokenize(question) if t in bm25.vocab_dict]
    scores = np.asarray(bm25.get_scores(known)) if known else np.zeros(len(data.chunks))
    lexical = [i for i in top_rows(scores, limit) if scores[i] > 0]
    fused = rrf([dense, lexical])
    ordered = sorted(fused, key=lambda i: (-fused[i], i))[:k]
    return [Passage(data.chunks[i], fused[i]) for i in ordered]


_BASELINE: dict[int, tuple[object, np.ndarray]] = {}  # id(index data) -> (plain BM25, whole-paragraph vectors)


def _baseline_index(engine, data) -> tuple[object, np.ndarray]:
    """The baseline's own index, built once per index data: BM25 over the passages' plain words
    (none of our acronym handling) and each paragraph embedded whole by the same model (the
    product's paragraph vectors are the sum of their units')."""
    import bm25s

    from .retrieval import BM25_B, BM25_K1

    key = id(data)
    if key not in _BASELINE:
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        bm25.index([tokenize(c.text) or [""] for c in data.chunks], show_progress=False)
        _BASELINE.clear()
        _BASELINE[key] = (bm25, engine.index.encoder.encode([c.text for c in data.chunks]))
    return _BASELINE[key]


def _score_baseline(engine, rows: list[dict], k: int) -> dict:
    answerable = [r for r in rows if r.get("expect", "answer") == "answer"]
    hit1 = hit3 = cite_checked = cite_right = 0
    lengths = []
    for row in answerable:
        passages = baseline_passages(engine, row["question"], k)
        rank = _hit_rank(passages, gold_of(row))
        hit1 += rank == 1
        hit3 += rank is not None and rank <= 3
        if passages:
            lengths.append(len(passages[0].chunk.text))
        cited = _cited(passages, row)
        if cited is not None:
            cite_checked += 1
            cite_right += cited
    n = max(len(answerable), 1)
    return {
        "hit@1": round(hit1 / n, 4),
        "hit@3": round(hit3 / n, 4),
        "answer@1": round(hit1 / n, 4),  # the paragraph is its answer
        "cite@1": round(cite_right / cite_checked, 4) if cite_checked else None,
        "answered_rate": 1.0,
        "abstain_rate": 0.0 if len(rows) > len(answerable) else None,
        "median_answer_chars": statistics.median(lengths) if lengths else 0,
    }


def evaluate(engine, rows: list[dict], k: int = 3, baseline: bool = False) -> dict:
    """Metrics over ``rows``; every question goes through ``engine.analyze`` (the ``ask`` path).

    Returns hit@1, hit@3 and MRR over the returned passages, answer@1 (a gold string inside
    the quoted answer), answered rate on answerable questions, abstain rate on unanswerable
    ones, the median answer length and citation integrity, plus the misses for inspection.
    """
    answerable = [r for r in rows if r.get("expect", "answer") == "answer"]
    unanswerable = [r for r in rows if r.get("expect") == "abstain"]
    hit1 = hit3 = answer1 = answered = abstained = 0
    cite_checked = cite_right = quotes_exact = 0
    reciprocal = 0.0
    lengths: list[int] = []
    passages_checked = passages_exact = 0
    misses = []
    for row in rows:
        analysis = engine.analyze(row["question"], history=row.get("history") or (), k=k, id=row.get("id"))
        answer = analysis.answer
        for passage in answer.passages:
            doc = engine.data.by_source[passage.chunk.source]
            passages_checked += 1
            passages_exact += doc.text[passage.chunk.start : passage.chunk.end] == passage.chunk.text
        if answer.quote is not None:
            lengths.append(len(answer.quote.text))
            quote_doc = engine.data.by_source[answer.quote.source]
            quotes_exact += quote_doc.text[answer.quote.start : answer.quote.end] == answer.quote.text
        if row.get("expect", "answer") == "answer":
            gold = gold_of(row)
            rank = _hit_rank(answer.passages, gold)
            hit1 += rank == 1
            hit3 += rank is not None and rank <= 3
            reciprocal += 1.0 / rank if rank else 0.0
            good_quote = answer.quote is not None and any(g in answer.quote.text for g in gold)
            answer1 += good_quote
            answered += answer.answered
            cited = _cited(answer.passages, row)
            if cited is not None:
                cite_checked += 1
                cite_right += cited
            if not good_quote or rank != 1 or not answer.answered:
                misses.append(
                    {
                        "id": row.get("id"),
                        "question": row["question"],
                        "rank": rank,
                        "answered": answer.answered,
                        "quote": answer.quote.text if answer.quote else None,
                        "p": round(analysis.probability, 3),
                    }
                )
        else:
            abstained += not answer.answered
            if answer.answered:
                misses.append(
                    {
                        "id": row.get("id"),
                        "question": row["question"],
                        "answered": True,
                        "quote": answer.quote.text if answer.quote else None,
                        "p": round(analysis.probability, 3),
                    }
                )
    n_answer = max(len(answerable), 1)
    return {
        "questions": len(rows),
        "k": k,
        "hit@1": round(hit1 / n_answer, 4),
        "hit@3": round(hit3 / n_answer, 4),
        "mrr": round(reciprocal / n_answer, 4),
        "answer@1": round(answer1 / n_answer, 4),
        "cite@1": round(cite_right / cite_checked, 4) if cite_checked else None,
        "answered_rate": round(answered / n_answer, 4),
        "abstain_rate": round(abstained / max(len(unanswerable), 1), 4) if unanswerable else None,
        "median_answer_chars": statistics.median(lengths) if lengths else 0,
        "citation_integrity": round(passages_exact / passages_checked, 4) if passages_checked else 1.0,
        "quote_integrity": round(quotes_exact / max(len(lengths), 1), 4),
        "baseline": _score_baseline(engine, rows, k) if baseline else None,
        "misses": misses,
    }


def _versus(report: dict, key: str) -> str:
    baseline = report.get("baseline") or {}
    return f"   (baseline: {baseline[key]})" if key in baseline else ""


def format_report(report: dict) -> str:
    keys = (
        "questions",
        "hit@1",
        "hit@3",
        "mrr",
        "answer@1",
        "cite@1",
        "answered_rate",
        "abstain_rate",
        "median_answer_chars",
        "citation_integrity",
        "quote_integrity",
    )
    lines = [f"{key:>20}  {report[key]}" + _versus(report, key) for key in keys]
    if report["misses"]:
        lines.append("")
        lines.append("misses:")
        for miss in report["misses"]:
            lines.append(
                f"  {miss.get('id')}: {miss['question']} -> rank {miss.get('rank')}, "
                f"answered {miss['answered']}, p={miss['p']}: {miss.get('quote')!r}"
            )
    return "\n".join(lines)


ABSTAIN_WEIGHTS = (1.0, 1.25, 1.5, 1.75, 2.0)  # tried by ``calibrate``; ``choose_abstention`` keeps one
# The forms of the abstention model ``calibrate`` tries, by name: (weighs the signals' pairwise
# products too, l2). The model with products is penalized less as a whole: it has 209 weights to
# 19 (135 to 15 without word signals), each product small.
# "trees": boosted trees over the signals (boosting.py), no weights.
ABSTAIN_FORMS = {"signals": (False, 0.01), "pairs": (True, 0.001), "trees": (False, 0.0)}


def fit_abstention(
    form: str,
    features: list[dict],
    labels: list[int],
    abstain_weight: float,
    names: tuple[str, ...],
    ranking: Ranking | None = None,
) -> Calibration:
    """The abstention model of ``form`` (one of ABSTAIN_FORMS) fitted on these questions."""
    if form not in ABSTAIN_FORMS:
        raise ValueError(f"unknown abstention model form {form!r}: choose one of {', '.join(ABSTAIN_FORMS)}")
    if form == "trees":
        if len(set(labels)) < 2:
            raise ValueError("calibration needs both answerable and unanswerable questions")
        trees = fit_trees(features, labels, names, abstain_weight)
        return Calibration(weights={}, bias=0.0, ranking=ranking or Ranking(), trees=trees)
    interacting, l2 = ABSTAIN_FORMS[form]
    return fit_calibration(features, labels, abstain_weight, l2, ranking=ranking, names=names, interacting=interacting)


def choose_abstention(tried: dict[tuple[str, float], dict], questions: int) -> tuple[str, float]:
    """The abstention model ``calibrate`` keeps, from the out-of-fold figures of each (form,
    weight) over ``questions``: among those whose accuracy is within one standard error of the
    best (closer than that is noise), the one best on both rates at once (balanced accuracy);
    on a tie the simpler form, then the larger weight.

    Accuracy alone chose the model until the sixteenth session; by it, differences of 0.0005
    decided between models that refuse 3 unanswerable questions in 100 more or fewer, and on
    the unseen sets of the fourteenth and fifteenth sessions abstentions fell well short of
    their out-of-fold figures (0.50–0.62 against 0.83) while answers held. (By balanced
    accuracy alone, weight 2.0 was chosen in the thirteenth session: 2–7 more answerable
    questions in 100 refused, answer@1 of the resolution's sets 0.861 → 0.812.)

    >>> tried = {("trees", 1.0): {"accuracy": 0.931, "balanced_accuracy": 0.895},
    ...          ("trees", 1.5): {"accuracy": 0.930, "balanced_accuracy": 0.904},
    ...          ("trees", 2.0): {"accuracy": 0.920, "balanced_accuracy": 0.910}}
    >>> choose_abstention(tried, 4000), choose_abstention(tried, 100_000)
    (('trees', 1.5), ('trees', 1.0))
    """
    if not tried:
        raise ValueError("no abstention model was scored out of fold")
    best = max(figures["accuracy"] for figures in tried.values())
    margin = math.sqrt(best * (1.0 - best) / max(questions, 1))
    near = [fw for fw in tried if tried[fw]["accuracy"] >= best - margin]
    return max(near, key=lambda fw: (tried[fw]["balanced_accuracy"], fw[0] == "signals", fw[1]))


def set_round(name: str) -> str:
    """The round of question writing a set belongs to, from its name in the plan or its file:
    the first word ("fresh13" of "fresh13 tune: article", "fresh13, second half …: article" and
    "fresh13_holdout.jsonl").

    >>> set_round("fresh13, second half (held out once): article"), set_round("eval/dev_qa.jsonl")
    ('fresh13', 'dev')
    """
    return re.match(r"[^\s,:_.]*", Path(name.strip()).name).group(0)


def fold_ids(rounds: list[str], folds: int) -> tuple[list[int], str]:
    """The cross-validation fold of each question, and how they were assigned: whole rounds of
    question writing to a fold, the largest round first into the smallest fold (a question is
    judged by a model that saw no question of its round, as a new set of questions will be),
    or interleaved when all questions are of one round.

    >>> fold_ids(["a", "a", "b", "c", "b"], 2), fold_ids(["a", "a", "a"], 2)
    (([0, 0, 1, 0, 1], 'round'), ([0, 1, 0], 'interleaved'))
    """
    sizes = Counter(rounds)
    if len(sizes) < 2:
        return [i % folds for i in range(len(rounds))], "interleaved"
    filled = [0] * folds
    fold_of_round = {}
    for name, size in sizes.most_common():
        fold = filled.index(min(filled))
        fold_of_round[name] = fold
        filled[fold] += size
    return [fold_of_round[r] for r in rounds], "round"


def _folds(n: int, folds: int, fold_of: list[int] | None) -> list[int]:
    """``fold_of`` checked against ``n`` questions, or interleaved folds when it is None."""
    if fold_of is None:
        return [i % folds for i in range(n)]
    if len(fold_of) != n:
        raise ValueError(f"fold_of gives folds for {len(fold_of)} questions, not {n}")
    return fold_of


def cross_validate(
    features: list[dict],
    labels: list[int],
    folds: int = 5,
    abstain_weight: float = 1.0,
    names: tuple[str, ...] = ABSTAIN_FEATURES,
    form: str = "signals",
    fold_of: list[int] | None = None,
) -> dict:
    """Out-of-fold figures of the abstention model: each question is judged by a model fitted
    without it (``fold_of`` each question's fold, by default interleaved). Only this model is
    refitted per fold: the signals come from the candidates ``calibrate`` ranked (each question
    by a ranking fitted without it)."""
    fold_of = _folds(len(labels), folds, fold_of)
    if form not in ABSTAIN_FORMS:
        raise ValueError(f"unknown abstention model form {form!r}: choose one of {', '.join(ABSTAIN_FORMS)}")
    outcomes = []
    for fold in range(folds):
        train = [i for i in range(len(labels)) if fold_of[i] != fold]
        test = [i for i in range(len(labels)) if fold_of[i] == fold]
        if not test or len({labels[i] for i in train}) < 2:
            continue
        model = fit_abstention(form, [features[i] for i in train], [labels[i] for i in train], abstain_weight, names)
        outcomes += [(labels[i], model.probability(features[i]) >= model.threshold) for i in test]
    positives = [p for y, p in outcomes if y == 1]
    negatives = [p for y, p in outcomes if y == 0]
    answers = sum(positives) / max(len(positives), 1)
    abstains = sum(not p for p in negatives) / max(len(negatives), 1)
    return {
        "folds": folds,
        "accuracy": round(sum(bool(y) == p for y, p in outcomes) / max(len(outcomes), 1), 4),
        "answers_when_it_should": round(answers, 4),
        "abstains_when_it_should": round(abstains, 4),
        "balanced_accuracy": round((answers + abstains) / 2, 4),
    }


# The unit rankings tried: listwise weights at these regularization strengths, and (None) trees
RANKING_L2 = (0.001, 0.01, 0.03, 0.1, 0.3, None)
Groups = list[list[tuple[dict, int, int]]]  # per question: (unit features, holds gold, its paragraph does)


def fit_ranking(groups: Groups, l2: float | None, names: tuple[str, ...] = UNIT_FEATURES) -> Ranking:
    """The unit ranking fitted on candidate units (label 1 when a unit holds a gold answer), to
    put a right one first: listwise weights at regularization ``l2`` (``answering.fit_listwise``),
    or, with ``l2`` None, boosted trees over the signals and where each unit stands among its
    question's candidates (``answering.with_relative``)."""
    if l2 is None:
        rows = [f for group in groups for f in with_relative([features for features, _, _ in group])]
        labels = [label for group in groups for _, label, _ in group]
        return Ranking(trees=fit_trees(rows, labels, relative_names(names), settings=RANKING_TREE_SETTINGS))
    weights, bias = fit_listwise(
        [[features for features, _, _ in group] for group in groups],
        [[label for _, label, _ in group] for group in groups],
        names,
        l2=l2,
    )
    return Ranking(weights, bias)


def ranking_top1(groups: Groups, ranking: Ranking) -> tuple[float, float]:
    """Share of questions whose best-ranked unit holds a gold answer, and whose unit's paragraph does."""
    tops = []
    for group in groups:
        if group:
            scores = ranking.scores([features for features, _, _ in group])
            tops.append(group[max(range(len(group)), key=scores.__getitem__)])
    return (
        round(sum(unit for _, unit, _ in tops) / max(len(tops), 1), 4),
        round(sum(passage for _, _, passage in tops) / max(len(tops), 1), 4),
    )


def ranking_cross_validate(
    groups: Groups,
    folds: int,
    l2: float | None,
    names: tuple[str, ...] = UNIT_FEATURES,
    fold_of: list[int] | None = None,
    fitted: dict[int, Ranking] | None = None,
) -> dict:
    """Out-of-fold unit@1 and passage@1 of the fitted ranking (``fold_of`` each question's
    fold, by default interleaved); ``fitted``, when given, receives each fold's ranking."""
    fold_of = _folds(len(groups), folds, fold_of)
    units, passages, total = 0.0, 0.0, 0
    for fold in range(folds):
        train = [g for i, g in enumerate(groups) if fold_of[i] != fold]
        test = [g for i, g in enumerate(groups) if fold_of[i] == fold and g]
        if not test:
            continue
        ranking = fit_ranking(train, l2, names)
        if fitted is not None:
            fitted[fold] = ranking
        unit, passage = ranking_top1(test, ranking)
        units, passages, total = units + unit * len(test), passages + passage * len(test), total + len(test)
    return {"folds": folds, "unit@1": round(units / max(total, 1), 4), "passage@1": round(passages / max(total, 1), 4)}


def calibrate(
    sets: list[tuple[str, list[dict], object]], output: str | None = None, folds: int = 5, trees: bool = False
) -> dict:
    """Fit the unit ranking, then the abstention model, on labelled questions, each set asked
    of its own engine (its own documents), and write both (default: the package file).

    The ranking: every candidate unit of every answerable question, labelled by whether it
    holds a gold string; listwise weights at each regularization of RANKING_L2 — and, with
    ``trees``, boosted trees — whichever is best by out-of-fold unit@1, with the hand-set score
    reported beside them. (The trees are better out of fold but were not on unseen questions,
    end to end: README, "What changed".) The
    abstention model is then fitted on what the ranking puts first, each round's questions
    ranked by the fold's ranking fitted without them. Both are fitted twice: with the word signals, on the questions whose documents'
    index keeps word vectors, and without them on all (``without_words``: larger indexes); when
    no index keeps word vectors, only the second.
    """
    asked = [(row, engine, set_round(name)) for name, rows, engine in sets for row in rows]
    engines = list({id(e): e for _, e, _ in asked}.values())
    groups, grouped = [], []  # per answerable question: its candidate units, engine, round and place in asked
    for i, (row, engine, round_) in enumerate(asked):
        gold = gold_of(row)
        if row.get("expect", "answer") != "answer" or not gold:
            continue
        analysis = engine.analyze(row["question"], history=row.get("history") or ())
        if not analysis.features:  # a paragraph looked up by its number ("OP 7") is not ranked
            continue
        texts = engine.data.by_source
        groups.append(
            [
                (
                    unit.features,
                    int(any(g in texts[r.chunk.source].text[slice(*unit.span)] for g in gold)),
                    int(any(g in r.chunk.text for g in gold)),
                )
                for r in analysis.ranked
                for unit in r.units
            ]
        )
        grouped.append((engine, round_, i))
    groups, grouped = [g for g in groups if g], [e for g, e in zip(groups, grouped, strict=True) if g]
    hand = ranking_top1(groups, Ranking())
    rounded = [(g, r, i) for g, (_, r, i) in zip(groups, grouped, strict=True)]
    numbered = [(i, row, e, r) for i, (row, e, r) in enumerate(asked)]
    variants = [("plain", UNIT_FEATURES, ABSTAIN_FEATURES, rounded, numbered)]
    if any(e.data.has_words for e in engines):
        variants.insert(
            0,
            (
                "words",
                (*UNIT_FEATURES, *WORD_FEATURES),
                (*ABSTAIN_FEATURES, *ABSTAIN_WORD_FEATURES),
                [(g, r, i) for g, (e, r, i) in zip(groups, grouped, strict=True) if e.data.has_words],
                [(i, row, e, r) for i, row, e, r in numbered if e.data.has_words],
            ),
        )
    fitted = {}
    for variant, unit_names, names, grouped_units, variant_asked in variants:
        variant_groups = [g for g, _, _ in grouped_units]
        unit_folds, unit_folds_by = fold_ids([r for _, r, _ in grouped_units], folds)
        tried_forms = [v for v in RANKING_L2 if trees or v is not None]
        fold_rankings: dict[float | None, dict[int, Ranking]] = {l2: {} for l2 in tried_forms}
        ranking_tried = {
            l2: ranking_cross_validate(variant_groups, folds, l2, unit_names, unit_folds, fold_rankings[l2])
            for l2 in tried_forms
        }
        # the best out of fold; on a tie, weights before trees, the stronger regularization first
        l2 = max(
            tried_forms,
            key=lambda v: (ranking_tried[v]["unit@1"], ranking_tried[v]["passage@1"], v is not None, v or 0),
        )
        ranking, weighted = fit_ranking(variant_groups, l2, unit_names), None
        if l2 is None:  # the trees rank; the best listwise weights give the closeness the ratio rules compare
            weighted = max((v for v in RANKING_L2 if v is not None), key=lambda v: ranking_tried[v]["unit@1"])
            ranking = _with_closeness(ranking, fit_ranking(variant_groups, weighted, unit_names))
            fold_rankings[l2] = {
                f: _with_closeness(r, fold_rankings[weighted].get(f, r)) for f, r in fold_rankings[l2].items()
            }
        # The abstention model learns from what a ranking that never saw the question puts
        # first, as on a new question (cross-fitting: trees rank the questions they were fitted
        # on better than they will rank a new one): each answerable question is ranked by its
        # fold's ranking; an unanswerable one (no ranking saw it) by its round's fold's when
        # folds hold out rounds, else by the whole ranking.
        fold_of = {i: f for (_, _, i), f in zip(grouped_units, unit_folds, strict=True)}
        if unit_folds_by == "round":
            fold_of_round = {r: f for (_, r, _), f in zip(grouped_units, unit_folds, strict=True)}
            fold_of |= {i: fold_of_round[r] for i, _, _, r in variant_asked if i not in fold_of and r in fold_of_round}
        rankings = [fold_rankings[l2].get(fold_of.get(i, -1), ranking) for i, _, _, _ in variant_asked]
        features, labels, rounds = _abstention_rows([a[1:] for a in variant_asked], rankings)
        question_folds, folds_by = fold_ids(rounds, folds)
        tried = {
            (form, w): cross_validate(features, labels, folds, w, names, form, question_folds)
            for form in ABSTAIN_FORMS
            for w in ABSTAIN_WEIGHTS
        }
        form, weight = choose_abstention(tried, len(labels))
        calibration = fit_abstention(form, features, labels, weight, names, ranking)
        predicted = [calibration.probability(f) >= calibration.threshold for f in features]
        accuracy = sum(p == bool(y) for p, y in zip(predicted, labels, strict=True)) / len(labels)
        fitted[variant] = (
            calibration,
            {
                "questions": len(labels),
                "training_accuracy": round(accuracy, 4),
                "abstain_form": form,
                "abstain_weight": weight,
                "folds_by": folds_by,
                "out_of_fold": tried[form, weight],
                "out_of_fold_by_form_and_weight": {f"{f} {w}": tried[f, w] for f, w in tried},
                "ranking_questions": len(variant_groups),
                "ranking_units": sum(len(g) for g in variant_groups),
                "ranking_form": "trees" if l2 is None else "listwise",
                "ranking_l2": l2,
                "ranking_closeness_l2": weighted,  # the listwise weights beside the trees
                "ranking_out_of_fold": ranking_tried[l2],
                "ranking_out_of_fold_by_l2": {"trees" if v is None else str(v): ranking_tried[v] for v in tried_forms},
            },
        )
    plain, plain_meta = fitted["plain"]
    if "words" in fitted:
        words, words_meta = fitted["words"]
        calibration, figures = replace(words, plain=plain), {**words_meta, "without_words_figures": plain_meta}
    else:
        calibration, figures = plain, plain_meta
    meta = {
        "trained_on": [name for name, _, _ in sets],
        **figures,
        "hand_ranking": {"unit@1": hand[0], "passage@1": hand[1]},
        "indexes_with_word_vectors": sum(e.data.has_words for e in engines),
        "model_sha256": sets[0][2].encoder.sha256,
    }
    path = Path(output) if output else Path(str(resources.files(__package__).joinpath("calibration.json")))
    write_calibration(calibration, path, meta)
    for engine in engines:
        engine.calibration = calibration
    return {**calibration.to_json(), **meta, "written_to": str(path)}


def _with_closeness(trees: Ranking, weighted: Ranking) -> Ranking:
    """The trees ranking with the listwise weights for ``Ranking.closeness``."""
    return replace(trees, weights=weighted.weights, bias=weighted.bias)


def _abstention_rows(asked, rankings: list[Ranking]) -> tuple[list[dict], list[int], list[str]]:
    """The abstention signals of every question, whether it should be answered, and its round
    of question writing: an answerable question counts as "answer" only if the chosen quote is
    right (a wrong quote said confidently is worse than an abstention); unanswerable ones as
    "abstain". Each question is ranked by its own of ``rankings``."""
    features, labels, rounds = [], [], []
    for (row, engine, round_), ranking in zip(asked, rankings, strict=True):
        engine.calibration = Calibration.unfitted(ranking)
        analysis = engine.analyze(row["question"], history=row.get("history") or ())
        if not analysis.features:
            continue
        gold = gold_of(row)
        quote = analysis.candidate
        if row.get("expect", "answer") == "answer":
            if quote is None or not any(g in quote.text for g in gold):
                continue
            labels.append(1)
        else:
            labels.append(0)
        features.append(analysis.features)
        rounds.append(round_)
    return features, labels, rounds
