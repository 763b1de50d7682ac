"""Search at the issue's size: how fast a signed-in person finds things, and what keeping the
index current costs a comment's post.

    .venv/bin/python bench/search.py [--database sqlite|postgresql] [--scale 1.0]
                                     [--searchers 8] [--queries 400] [--warmup 30]
                                     [--posts 300] [--keep]

A fresh database (a SQLite file in a temporary folder, or a throwaway PostgreSQL database on
127.0.0.1:5432, dropped at the end unless --keep) migrated by Alembic and seeded with bulk Core
inserts, at ``--scale`` times the issue's size: 500 rounds in 50 consultations (some drafts,
some sealed while open), 10,000 positions, 1,000,000 comments (threads and replies) and 10,000
caucus posts, written in English, French and Spanish with Zipf-distributed words (a few hundred
real words of each language, then a long tail of rarer ones); 2 % of comments hidden, 1 %
awaiting approval. The Core inserts bypass the flush listener, so the index is then built by
``app.search.index.rebuild`` (timed).

Then, in this process, for a representative of a workers' organisation invited to every round
(so the workers' caucus partition is read too):
  1. ``--searchers`` processes (as the app's workers), each with its own connection, call
     ``app.search.service.search`` (the service the page calls) as a request does (the app's
     read session, closed after each search: on PostgreSQL in autocommit, its prepared
     statements kept by the connection), each first warmed up as a
     worker that has served a while (``--warmup`` queries of its own, drawn alike and not
     measured: the statements of their shapes built, the connection's caches filled), then
     all at once: one-word queries (words drawn across the frequency
     ranks, a third of them among the 100 most common), then three-word queries of one
     language with one filter (a year or a group); p50/p95/p99 of each (targets: p95 < 100 ms
     on PostgreSQL, < 200 ms on SQLite); and, apart, a new worker's first search of each
     shape of query it meets (its statement built then), one searcher alone;
  2. the SQL statements each search runs (counted with ``before_cursor_execute``, one searcher
     alone): the same number whatever the query;
  3. ``--posts`` comments posted through ``app.comments.service.post`` in their own
     transactions, alternately in blocks with the index's flush listener on and removed
     (``event.remove(Session, "after_flush", index.on_flush)``): the ratio of the medians,
     what the index adds to the service alone; then the same through the whole app, as a
     person posts (``POST /rounds/{id}/comments``, Starlette's test client in this process):
     the latency the issue's target is about (within +10 %).
Exits 1 when a target is missed. Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import POSTGRES, create_database  # noqa: E402  (bench/common.py)

from app.accounts.rules import Speaking, Viewer  # noqa: E402
from app.caucus.models import CaucusPost  # noqa: E402
from app.comments import service as comments  # noqa: E402
from app.db import make_engine, make_sessionmaker, open_session, utcnow  # noqa: E402
from app.main import freeze_startup_objects  # noqa: E402
from app.models import (  # noqa: E402
    Comment,
    Consultation,
    Mandate,
    Organisation,
    Position,
    Round,
    RoundInvitation,
    User,
)
from app.search import index  # noqa: E402
from app.search.service import SearchQuery, search  # noqa: E402
from app.vocabulary import Group, MandateRole, Stance  # noqa: E402

#: The issue's size (``--scale 1``).
ROUNDS = 500
POSITIONS = 10_000
COMMENTS = 1_000_000
CAUCUS_POSTS = 10_000
ORGANISATIONS = 300  # 100 per group, whatever the scale
INVITED = 36  # organisations invited to each round (12 per group), the viewer's always
BATCH = 10_000
YEARS = (2024, 2025, 2026)
LANGUAGE_SHARE = {"en": 0.5, "fr": 0.3, "es": 0.2}
HIDDEN_SHARE = 0.02
PENDING_SHARE = 0.01
REPLY_SHARE = 0.65
#: Zipf exponent of word frequencies (natural language: about 1).
ZIPF = 1.0
TAIL_WORDS = 20_000  # per language, past the real words

TARGET_P95 = {"postgresql": 0.100, "sqlite": 0.200}
TARGET_POST_RATIO = 1.10
VIEWER_ORG = 2  # a workers' organisation (organisations go government, workers, employers …)
POSTER_ORG = 5  # another workers' organisation, posting in the bench's open round

# Each language's most common words, roughly in order of frequency (stopwords included: the
# search drops them from queries, the index keeps them as text does).
REAL_WORDS = {
    "en": """the of and to in a is that for on be with as by this are it not we which at from
    or have an will should all their its has but been they more social workers employers
    government must would also can these there other such dialogue employment work national
    labour policy public protection rights support development training paragraph article
    convention recommendation proposal report members partners committee text agreement
    workers' security pension pensions portability migrant migration wage wages minimum
    collective bargaining safety health inspection insurance unemployment benefits contract
    contracts temporary seasonal recruitment fees ethical agencies equal treatment women men
    young youth skills qualifications recognition apprenticeship informal economy transition
    formal enterprises small medium sized compliance implementation monitoring review timeline
    costs burden administrative framework legislation law regulation coverage access services
    care domestic platform digital remote teleworking hours overtime leave maternity paternity
    disability discrimination harassment violence freedom association strike consultation
    tripartite ministry union federation chamber commerce industry sector agriculture
    construction mining fisheries transport maritime textile garment supply chains due
    diligence reporting audit data statistics survey evidence impact assessment budget funding
    fiscal tax contributions employer employee household income poverty inequality growth
    productivity competitiveness investment innovation technology automation climate green
    jobs just environment energy""",
    "fr": """de la le et les des à en du un une que est pour dans qui sur par au ne pas plus
    se ce il sont avec nous doit être cette son leur ses aux elle ou comme tout mais
    travailleurs employeurs gouvernement dialogue social emploi travail national politique
    publique protection droits soutien développement formation paragraphe article convention
    recommandation proposition rapport membres partenaires comité texte accord sécurité
    retraite retraites portabilité migrants migration salaire salaires minimum négociation
    collective santé inspection assurance chômage prestations contrat contrats temporaire
    saisonnier recrutement frais éthique agences égalité traitement femmes hommes jeunes
    jeunesse compétences qualifications reconnaissance apprentissage économie informelle
    transition formelle entreprises petites moyennes conformité mise œuvre suivi examen
    calendrier coûts charge administrative cadre législation loi réglementation couverture
    accès services soins domestique plateforme numérique télétravail heures supplémentaires
    congé maternité paternité handicap discrimination harcèlement violence liberté syndicale
    grève consultation tripartite ministère syndicat fédération chambre commerce industrie
    secteur agriculture construction mines pêche transports maritime textile habillement
    chaînes approvisionnement diligence raisonnable audit données statistiques enquête
    preuves impact évaluation budget financement fiscal impôt cotisations employeur salarié
    ménage revenu pauvreté inégalités croissance productivité compétitivité investissement
    innovation technologie automatisation climat emplois verts juste environnement énergie""",
    "es": """de la que el en y a los del se las por un para con no una su al es lo como más
    pero sus le ya o este sí porque esta entre cuando muy sin sobre también trabajadores
    empleadores gobierno diálogo social empleo trabajo nacional política pública protección
    derechos apoyo desarrollo formación párrafo artículo convenio recomendación propuesta
    informe miembros interlocutores comité texto acuerdo seguridad pensión pensiones
    portabilidad migrantes migración salario salarios mínimo negociación colectiva salud
    inspección seguro desempleo prestaciones contrato contratos temporal estacional
    contratación comisiones ética agencias igualdad trato mujeres hombres jóvenes juventud
    competencias cualificaciones reconocimiento aprendizaje economía informal transición
    formal empresas pequeñas medianas cumplimiento aplicación seguimiento examen calendario
    costos carga administrativa marco legislación ley reglamento cobertura acceso servicios
    cuidados doméstico plataforma digital teletrabajo horas extraordinarias licencia
    maternidad paternidad discapacidad discriminación acoso violencia libertad sindical huelga
    consulta tripartita ministerio sindicato federación cámara comercio industria sector
    agricultura construcción minería pesca transporte marítimo textil confección cadenas
    suministro diligencia debida auditoría datos estadísticas encuesta pruebas impacto
    evaluación presupuesto financiación fiscal impuesto cotizaciones empleador empleado hogar
    ingresos pobreza desigualdad crecimiento productividad competitividad inversión
    innovación tecnología automatización clima empleos verdes justa medio ambiente energía""",
}
#: Syllables of each language's rarer words (the long tail: names, terms, inflections).
SYLLABLES = {
    "en": "ab ac ad al am an ar as at ber bor cal can car cer com con cor der dis ent er ful "
    "gen ing ion ish ive lar ler man men ment ness nor ob ort per por pre ter tion ver".split(),
    "fr": "ab ac ai al an ar au ba be bi ca ce ci con cou de di en es eu fa fi gen ier in la "
    "le li ma me mi ment ne ni on ou pa pe que ra re ri sa se ta te tion vi".split(),
    "es": "ba be bi ca ce ci co cu da de di do ga go la le li lo lu ma me mi mo na ne ni no "
    "pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi".split(),
}


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    cum_weights: list[float]
    content: list[str]  # the words a query may hold (no stopword), most common first


def vocabulary(language: str, rng: random.Random) -> Vocabulary:
    from app.search.stopwords import STOPWORDS

    real = list(dict.fromkeys(REAL_WORDS[language].split()))
    tail: dict[str, None] = {}
    syllables = SYLLABLES[language]
    while len(tail) < TAIL_WORDS:
        word = "".join(rng.choices(syllables, k=rng.choice((2, 3, 3, 4))))
        if word not in real:
            tail[word] = None
    words = real + list(tail)
    total, cum = 0.0, []
    for rank in range(1, len(words) + 1):
        total += 1 / rank**ZIPF
        cum.append(total)
    stop = {w.lower() for w in STOPWORDS[language]}
    content = [w for w in words if w not in stop and w not in ("workers'",)]
    return Vocabulary(words, cum, content)


def sentence(rng: random.Random, vocab: Vocabulary, n: int) -> str:
    words = rng.choices(vocab.words, cum_weights=vocab.cum_weights, k=max(1, n))
    text_ = " ".join(words)
    return text_[:1].upper() + text_[1:] + "."


def comment_text(rng: random.Random, vocab: Vocabulary) -> str:
    r = rng.random()
    n = rng.randint(4, 15) if r < 0.4 else rng.randint(15, 60) if r < 0.9 else rng.randint(60, 200)
    body = sentence(rng, vocab, n)
    if rng.random() < 0.15:
        body += "\n\n" + sentence(rng, vocab, rng.randint(5, 30))
    return body


def pick_language(rng: random.Random) -> str:
    return rng.choices(list(LANGUAGE_SHARE), weights=list(LANGUAGE_SHARE.values()))[0]


# --- seeding ---------------------------------------------------------------------------------


def _status(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.04:
        return "draft"
    if roll < 0.14:
        return "open"
    if roll < 0.17:
        return "scheduled"  # opened on time: open in effect
    return "published" if roll < 0.5 else "closed"


@dataclass
class Seeded:
    rounds: int = 0
    positions: int = 0
    comments: int = 0
    hidden: int = 0
    pending: int = 0
    caucus_posts: int = 0
    sealed_open: int = 0
    drafts: int = 0
    open_round: int = 0
    seconds: float = 0.0


def seed(url: str, scale: float, vocabularies: dict[str, Vocabulary]) -> Seeded:
    """The consultations, rounds, organisations, positions, comments and caucus posts."""
    rng = random.Random(19)
    engine = create_engine(url)
    started = time.perf_counter()
    now = utcnow()
    n_rounds = max(3, round(ROUNDS * scale))
    per_round_positions = max(1, round(POSITIONS * scale / n_rounds))
    statuses = [_status(rng) for _ in range(n_rounds - 1)] + ["open"]
    discussed = sum(1 for status in statuses if status != "draft")
    per_round_comments = max(1, round(COMMENTS * scale / discussed))
    per_round_caucus = max(1, round(CAUCUS_POSTS * scale / discussed))
    out = Seeded(rounds=n_rounds)
    groups = list(Group)
    span = (datetime(2026, 12, 1, tzinfo=UTC) - datetime(2024, 1, 1, tzinfo=UTC)) / n_rounds
    with engine.begin() as db:
        orgs, users, mandates = [], [], []
        for n in range(1, ORGANISATIONS + 1):
            group = groups[(n - 1) % 3]
            orgs.append(
                {
                    "id": n,
                    "name": f"{group.label} organisation {n}",
                    "group_name": group.value,
                    "country": rng.choice(["Ardenia", "Borduria", "Carpania"]),
                    "created_at": now,
                }
            )
            users.append(
                {
                    "id": n,
                    "email": f"rep{n}@bench.example",
                    "name": f"Representative {n}",
                    "password_hash": "-",
                    "is_active": True,
                    "created_at": now,
                }
            )
            mandates.append(
                {
                    "user_id": n,
                    "organisation_id": n,
                    "role": "representative",
                    "starts_at": now - timedelta(days=2000),
                    "created_at": now,
                }
            )
        for table, rows in ((Organisation, orgs), (User, users), (Mandate, mandates)):
            db.execute(insert(table), rows)
        n_consultations = max(1, n_rounds // 10)
        db.execute(
            insert(Consultation),
            [
                {
                    "id": c,
                    "title": f"Consultation {c}: "
                    + sentence(rng, vocabularies[pick_language(rng)], 6),
                    "brief": sentence(rng, vocabularies["en"], 40),
                    "country": rng.choice(["Ardenia", "Borduria", "Carpania"]),
                    "created_at": datetime(2024, 1, 1, tzinfo=UTC),
                }
                for c in range(1, n_consultations + 1)
            ],
        )
        comment_id = caucus_id = position_id = 0
        # the open round of the posting part: the last one, open, unsealed, not premoderated
        for r in range(1, n_rounds + 1):
            opens = datetime(2024, 1, 1, tzinfo=UTC) + span * (r - 1)
            closes = opens + span
            language = pick_language(rng)
            vocab = vocabularies[language]
            if r == n_rounds:
                status, sealed, opens, closes = "open", False, now - span, now + span
                out.open_round = r
            else:
                status = statuses[r - 1]
                if status in ("open", "scheduled"):
                    opens, closes = now - timedelta(days=10), now + timedelta(days=20)
                sealed = rng.random() < 0.15
            out.drafts += status == "draft"
            out.sealed_open += sealed and status in ("open", "scheduled")
            created = min(opens, now)
            db.execute(
                insert(Round),
                [
                    {
                        "id": r,
                        "consultation_id": (r - 1) % n_consultations + 1,
                        "number": (r - 1) // n_consultations + 1,
                        "title": f"Round {r}: " + sentence(rng, vocab, 6)[:150],
                        "brief": sentence(rng, vocab, 80),
                        "brief_language": language,
                        "status": status,
                        "weighting": "1:1:1",
                        "sealed": sealed,
                        "premoderated": False,
                        "opens_at": opens,
                        "closes_at": closes,
                        "closed_at": closes if status in ("closed", "published") else None,
                        "version": 1,
                        "created_at": created,
                    }
                ],
            )
            invited = sorted(
                {VIEWER_ORG, POSTER_ORG}
                | {
                    o
                    for g in range(3)
                    for o in rng.sample(range(g + 1, ORGANISATIONS + 1, 3), INVITED // 3)
                }
            )
            db.execute(
                insert(RoundInvitation),
                [{"round_id": r, "organisation_id": o, "invited_at": created} for o in invited],
            )
            positions = []
            for o in rng.sample(invited, min(len(invited), per_round_positions)):
                position_id += 1
                lang = pick_language(rng)
                statement = " ".join(
                    sentence(rng, vocabularies[lang], rng.randint(10, 30)) for _ in range(3)
                )
                positions.append(
                    {
                        "id": position_id,
                        "round_id": r,
                        "organisation_id": o,
                        "stance": rng.choice(list(Stance)).value,
                        "statement": statement,
                        "statement_html": f"<p>{escape(statement)}</p>",
                        "language": lang,
                        "version": 1,
                        "created_by_id": o,
                        "last_edited_by_id": o,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            db.execute(insert(Position), positions)
            out.positions += len(positions)
            if status == "draft":
                continue  # a draft has no discussion yet (it is found by moderators only)
            step = (min(closes, now) - created) / (per_round_comments + 1)
            batch: list[dict[str, Any]] = []
            roots: list[int] = []
            for k in range(per_round_comments):
                comment_id += 1
                author = rng.choice(invited)
                lang = pick_language(rng)
                parent = thread = None
                if roots and rng.random() < REPLY_SHARE:
                    thread = rng.choice(roots[-40:])
                    parent = thread
                else:
                    roots.append(comment_id)
                body = comment_text(rng, vocabularies[lang])
                roll = rng.random()
                visibility = (
                    "hidden"
                    if roll < HIDDEN_SHARE
                    else "pending"
                    if roll < HIDDEN_SHARE + PENDING_SHARE
                    else "visible"
                )
                out.hidden += visibility == "hidden"
                out.pending += visibility == "pending"
                batch.append(
                    {
                        "id": comment_id,
                        "round_id": r,
                        "position_id": None,
                        "parent_id": parent,
                        "thread_id": thread,
                        "author_id": author,
                        "organisation_id": author,
                        "body": body,
                        "body_html": "<p>" + escape(body).replace("\n\n", "</p><p>") + "</p>",
                        "language": lang,
                        "visibility": visibility,
                        "locked": False,
                        "created_at": created + step * (k + 1),
                    }
                )
                if len(batch) == BATCH:
                    db.execute(insert(Comment), batch)
                    batch = []
            if batch:
                db.execute(insert(Comment), batch)
            out.comments += per_round_comments
            posts = []
            for k in range(per_round_caucus):
                caucus_id += 1
                author = rng.choice(invited)
                body = comment_text(rng, vocabularies[pick_language(rng)])
                posts.append(
                    {
                        "id": caucus_id,
                        "round_id": r,
                        "group_name": groups[(author - 1) % 3].value,
                        "author_id": author,
                        "organisation_id": author,
                        "body": body,
                        "body_html": f"<p>{escape(body)}</p>",
                        "created_at": created + step * (k + 1),
                    }
                )
            db.execute(insert(CaucusPost), posts)
            out.caucus_posts += len(posts)
            if r % 50 == 0:
                print(f"  seeded {r}/{n_rounds} rounds, {out.comments:,} comments", flush=True)
        if url.startswith("postgresql"):
            for table in (
                "consultations",
                "rounds",
                "organisations",
                "users",
                "mandates",
                "positions",
                "comments",
                "caucus_posts",
            ):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    engine.dispose()
    out.seconds = time.perf_counter() - started
    return out


def build_index(url: str) -> tuple[int, float]:
    """``index.rebuild`` of everything, in one transaction, then statistics for the planner."""
    engine = create_engine(url)
    started = time.perf_counter()
    last = [time.perf_counter()]
    done = [0]

    def progress(kind: Any, rows: int) -> None:
        done[0] += rows
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  indexed {done[0]:,} rows ({kind.value})", flush=True)

    with engine.begin() as conn:
        written = index.rebuild(conn, progress=progress)
    seconds = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if url.startswith("postgresql"):
            conn.execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return written, seconds


# --- searching -------------------------------------------------------------------------------


def viewer(org: int) -> Viewer:
    group = list(Group)[(org - 1) % 3]
    return Viewer(
        org,
        f"Representative {org}",
        f"rep{org}@bench.example",
        None,
        (
            Speaking(
                org, org, f"{group.label} organisation {org}", group, MandateRole.REPRESENTATIVE
            ),
        ),
    )


def one_word_queries(rng: random.Random, vocabularies: dict[str, Vocabulary], n: int) -> list[str]:
    """Words across the frequency ranks: a third among each language's 100 most common
    content words, a third among ranks 100–2,000, a third in the tail."""
    found = []
    for k in range(n):
        vocab = vocabularies[pick_language(rng)]
        band = k % 3
        pool = (
            vocab.content[:100]
            if band == 0
            else vocab.content[100:2000]
            if band == 1
            else vocab.content[2000:]
        )
        found.append(rng.choice(pool))
    return found


def three_word_queries(
    rng: random.Random, vocabularies: dict[str, Vocabulary], n: int
) -> list[tuple[str, dict[str, Any]]]:
    """Three content words of one language, each drawn by frequency (as people use words)
    among the 2,000 most common, with a year or a group filter."""
    found = []
    for k in range(n):
        vocab = vocabularies[pick_language(rng)]
        pool = vocab.content[:2000]
        weights = [1 / (rank + 1) ** ZIPF for rank in range(len(pool))]
        words = []
        while len(words) < 3:
            word = rng.choices(pool, weights=weights)[0]
            if word not in words:
                words.append(word)
        options: dict[str, Any] = (
            {"year": rng.choice(YEARS)} if k % 2 == 0 else {"group": rng.choice(list(Group))}
        )
        found.append((" ".join(words), options))
    return found


def search_as_a_request(factory: Any, who: Viewer, words: str, options: dict[str, Any]) -> Any:
    """One search as ``GET /search`` runs it: the app's read session (on PostgreSQL in
    autocommit, as every read request's: app.db.open_session), closed after it, its connection
    back in the pool."""
    db = open_session(factory, write=False)
    try:
        return search(db, who, SearchQuery(words, **options), utcnow())
    finally:
        db.close()


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def _searcher(
    url: str,
    org: int,
    queries: list[tuple[str, dict[str, Any]]],
    warmup: list[tuple[str, dict[str, Any]]],
    ready: Any,
    limit: float,
) -> tuple[list[float], list[int], list[str]]:
    """One searcher process: its own engine and session, warmed up as a worker that has served
    a while (``warmup``: other queries of the same kinds, so that the statements of their
    shapes are built and the connection's caches filled), then, once every searcher is ready,
    its queries in turn."""
    engine = make_engine(url, pool_size=1)
    who = viewer(org)
    seconds: list[float] = []
    totals: list[int] = []
    errors: list[str] = []
    factory = make_sessionmaker(engine)
    freeze_startup_objects()  # as a served worker does once started (app.main.app_from_env)
    for words, options in warmup:
        search_as_a_request(factory, who, words, options)
    ready.wait(timeout=limit)
    deadline = time.monotonic() + limit
    for words, options in queries:
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        try:
            found = search_as_a_request(factory, who, words, options)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{words!r}: {exc.__class__.__name__}: {exc}"[:300])
            continue
        seconds.append(time.perf_counter() - started)
        totals.append(found.total)
    engine.dispose()
    return seconds, totals, errors


def run_searches(
    url: str,
    org: int,
    queries: list[tuple[str, dict[str, Any]]],
    warmup: list[tuple[str, dict[str, Any]]],
    searchers: int,
    limit_seconds: float = 300,
) -> Timings:
    """``searchers`` processes (as the app's workers are: no shared interpreter lock), each
    with its own connection, warmed up with its share of ``warmup``, then running their share
    of the queries at once."""
    timings = Timings()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        ready = manager.Barrier(searchers + 1)
        with ProcessPoolExecutor(max_workers=searchers, mp_context=context) as pool:
            futures = [
                pool.submit(
                    _searcher,
                    url,
                    org,
                    queries[n::searchers],
                    warmup[n::searchers],
                    ready,
                    limit_seconds,
                )
                for n in range(searchers)
            ]
            ready.wait(timeout=limit_seconds)
            started = time.time()
            for future in futures:
                seconds, totals, errors = future.result()
                timings.seconds += seconds
                timings.totals += totals
                timings.errors += errors
    timings.wall = time.time() - started
    return timings


def first_searches(url: str, org: int, queries: list[tuple[str, dict[str, Any]]]) -> list[float]:
    """One new worker's first searches (a process of its own, nothing built yet): what a
    search costs when the statement of its shape is built for the first time."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_first, url, org, queries).result()


def _first(url: str, org: int, queries: list[tuple[str, dict[str, Any]]]) -> list[float]:
    from app.search import service

    engine = make_engine(url, pool_size=1)
    who = viewer(org)
    found = []
    with Session(engine) as db:
        db.execute(text("SELECT 1"))  # the connection, made
        db.rollback()
    factory = make_sessionmaker(engine)
    for words, options in queries:
        built = len(service._BUILT)
        started = time.perf_counter()
        search_as_a_request(factory, who, words, options)
        if len(service._BUILT) > built:  # a shape this worker had not met
            found.append(time.perf_counter() - started)
    engine.dispose()
    return found


def statements_per_search(
    engine: Any, who: Viewer, queries: list[tuple[str, dict[str, Any]]]
) -> list[tuple[int, bool]]:
    """The SQL statements each of these searches ran (one searcher alone, as requests), and
    whether it found anything."""
    counts: list[tuple[int, bool]] = []
    current = [0]

    def count(*_args: Any) -> None:
        current[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        factory = make_sessionmaker(engine)
        for words, options in queries:
            current[0] = 0
            found = search_as_a_request(factory, who, words, options)
            counts.append((current[0], found.total > 0))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts


# --- posting ---------------------------------------------------------------------------------


def post_comments(
    engine: Any, round_id: int, posts: int, vocab: Vocabulary
) -> tuple[list[float], list[float]]:
    """Comments posted one at a time through ``comments.service.post`` (each in its own
    transaction, committed), alternately with the index's flush listener on and removed (post
    by post, so that the machine's other work weighs on both alike). Returns the latencies
    with it and without it (after 5 posts of each to warm up)."""
    rng = random.Random(7)
    poster = viewer(POSTER_ORG)
    on: list[float] = []
    off: list[float] = []
    for number in range(posts + 10):
        listening = number % 2 == 0
        if not listening:
            event.remove(Session, "after_flush", index.on_flush)
        try:
            body = comment_text(rng, vocab)
            started = time.perf_counter()
            with Session(engine) as db, db.begin():
                comments.post(
                    db,
                    poster,
                    round_id,
                    body,
                    parent_id=None,
                    position_id=None,
                    idempotency_key=uuid.uuid4().hex,
                    posting_limit=10**9,
                    language="en",
                )
            seconds = time.perf_counter() - started
            if number >= 10:
                (on if listening else off).append(seconds)
        finally:
            if not event.contains(Session, "after_flush", index.on_flush):
                event.listen(Session, "after_flush", index.on_flush)
    return on, off


def post_comments_http(
    url: str, round_id: int, posts: int, vocab: Vocabulary
) -> tuple[list[float], list[float]]:
    """The same, as a person posts: ``POST /rounds/{id}/comments`` through the whole app (in
    this process, Starlette's test client: no network), signed in as the poster, the listener
    on and removed post by post. Returns the latencies with it and without it."""
    from starlette.testclient import TestClient

    from app.accounts.credentials import new_token
    from app.accounts.models import UserSession
    from app.config import Settings
    from app.main import asgi

    rng = random.Random(11)
    token, token_hash = new_token()
    csrf = uuid.uuid4().hex
    engine = make_engine(url)
    with Session(engine) as db, db.begin():
        db.add(
            UserSession(
                token_hash=token_hash,
                user_id=POSTER_ORG,
                csrf_token=csrf,
                expires_at=utcnow() + timedelta(hours=2),
            )
        )
    engine.dispose()
    on: list[float] = []
    off: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=url, data_dir=Path(folder), secret_key="bench", posting_limit=10**9
        )
        app = asgi(settings)
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
            client.cookies.set("tripartite_session", token)
            for number in range(posts + 10):
                listening = number % 2 == 0
                if not listening:
                    event.remove(Session, "after_flush", index.on_flush)
                try:
                    form = {
                        "body": comment_text(rng, vocab),
                        "idempotency_key": uuid.uuid4().hex,
                        "language": "en",
                        "csrftoken": csrf,
                    }
                    started = time.perf_counter()
                    answer = client.post(f"/rounds/{round_id}/comments", data=form)
                    seconds = time.perf_counter() - started
                    if answer.status_code != 303:
                        raise SystemExit(
                            f"posting answered {answer.status_code}: {answer.text[:300]}"
                        )
                    if number >= 10:
                        (on if listening else off).append(seconds)
                finally:
                    if not event.contains(Session, "after_flush", index.on_flush):
                        event.listen(Session, "after_flush", index.on_flush)
    return on, off


def indexed_posts(url: str, round_id: int) -> tuple[int, int]:
    """Comments of the round, and those with an index entry."""
    engine = create_engine(url)
    with engine.connect() as conn:
        total = conn.execute(
            text("SELECT count(*) FROM comments WHERE round_id = :r"), {"r": round_id}
        ).scalar_one()
        entries = conn.execute(
            text("SELECT count(*) FROM search_entries WHERE kind = 'comment' AND round_id = :r"),
            {"r": round_id},
        ).scalar_one()
    engine.dispose()
    return int(total), int(entries)


def counts_of(url: str) -> tuple[int, str]:
    """A kept database's open round (the last) and its size."""
    engine = create_engine(url)
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(id) FROM rounds")).scalar_one()
        sizes = [
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("rounds", "positions", "comments", "caucus_posts", "search_entries")
        ]
    engine.dispose()
    return int(last), (
        "{:,} rounds, {:,} positions, {:,} comments, {:,} caucus posts, {:,} entries".format(*sizes)
    )


def shared_buffers(engine: Any) -> str:
    """The server's cache (docs/deploy.md advises a quarter of the machine's memory): the
    figures depend on it."""
    with engine.connect() as conn:
        return str(conn.execute(text("SHOW shared_buffers")).scalar_one())


# --- the report ------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, measure: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else "PASS" if ok else "FAIL"
        self.lines.append((measure, value, target, verdict))
        print(f"  {measure:38} {value:34} {target:10} {verdict}", flush=True)

    @property
    def failures(self) -> int:
        return sum(1 for line in self.lines if line[3] == "FAIL")

    def table(self) -> str:
        header = ("measure", "value", "target", "result")
        widths = [max(len(line[i]) for line in [*self.lines, header]) for i in range(4)]
        out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
        out.append("-+-".join("-" * w for w in widths))
        out += [
            " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in self.lines
        ]
        return "\n".join(out)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report_searches(report: Report, label: str, t: Timings, target: float) -> None:
    report.add(
        f"{label}: searches",
        f"{len(t.seconds)} in {t.wall:.1f} s ({len(t.seconds) / max(t.wall, 1e-9):.1f}/s)",
        "",
        not t.errors,
    )
    report.add(f"{label}: p50", ms(t.pct(0.50)))
    report.add(f"{label}: p95", ms(t.pct(0.95)), f"< {ms(target)}", t.pct(0.95) < target)
    report.add(f"{label}: p99 / max", f"{ms(t.pct(0.99))} / {ms(max(t.seconds or [0]))}")
    if t.totals:
        report.add(
            f"{label}: results (median / max)",
            f"{int(statistics.median(t.totals)):,} / {max(t.totals):,}",
        )
    for error in t.errors[:3]:
        print(f"    error: {error}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", type=float, default=1.0, help="times the issue's size")
    parser.add_argument("--searchers", type=int, default=8)
    parser.add_argument("--queries", type=int, default=400, help="of each kind")
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument(
        "--warmup", type=int, default=30, help="queries each searcher runs before measuring"
    )
    parser.add_argument("--keep", action="store_true", help="leave the database in place")
    parser.add_argument("--url", help="measure a database kept by an earlier --keep run")
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        parser.error("--scale is a share of the issue's size: 0 < scale <= 1")
    if args.url:  # the kept database's engine, whatever --database says
        args.database = "postgresql" if args.url.startswith("postgresql") else "sqlite"
    command = shlex.join([".venv/bin/python", "bench/search.py", *sys.argv[1:]])
    rng = random.Random(2026)
    vocabularies = {code: vocabulary(code, rng) for code in LANGUAGE_SHARE}
    report = Report()
    target = TARGET_P95[args.database]
    print(f"== {args.database}, scale {args.scale:g} ==", flush=True)
    db = None if args.url else create_database(args.database, POSTGRES)
    url = args.url or db.url  # type: ignore[union-attr]
    try:
        if db is not None:
            seeded = seed(url, args.scale, vocabularies)
            report.add(
                "seeded",
                f"{seeded.rounds} rounds, {seeded.positions:,} positions, "
                f"{seeded.comments:,} comments ({seeded.hidden:,} hidden, {seeded.pending:,} "
                f"pending), {seeded.caucus_posts:,} caucus posts, {seeded.drafts} draft and "
                f"{seeded.sealed_open} sealed open rounds in {seeded.seconds:.0f} s",
            )
            written, seconds = build_index(url)
            report.add(
                "index.rebuild",
                f"{written:,} entries in {seconds:.0f} s ({written / seconds:,.0f}/s)",
            )
            open_round = seeded.open_round
        else:
            open_round, counted = counts_of(url)
            report.add("database (--url, seeded before)", counted)
        engine = make_engine(url, pool_size=args.searchers)
        if args.database == "postgresql":
            report.add("PostgreSQL shared_buffers", shared_buffers(engine))
        who = viewer(VIEWER_ORG)
        one: list[tuple[str, dict[str, Any]]] = [
            (w, {}) for w in one_word_queries(rng, vocabularies, args.queries)
        ]
        three = three_word_queries(rng, vocabularies, args.queries)
        # the warm-up's own queries, drawn alike (none of them measured)
        other = random.Random(7)
        warm_one: list[tuple[str, dict[str, Any]]] = [
            (w, {}) for w in one_word_queries(other, vocabularies, args.warmup * args.searchers)
        ]
        warm_three = three_word_queries(other, vocabularies, args.warmup * args.searchers)
        t1 = run_searches(url, VIEWER_ORG, one, warm_one, args.searchers)
        report_searches(report, "one word", t1, target)
        t3 = run_searches(url, VIEWER_ORG, three, warm_three, args.searchers)
        report_searches(report, "three words + filter", t3, target)
        first = first_searches(url, VIEWER_ORG, warm_one[:40] + warm_three[:40])
        report.add(
            "a new shape's first search in a worker",
            f"{len(first)} shapes: p50 {ms(statistics.median(first or [0]))}, max "
            f"{ms(max(first or [0]))} (one searcher alone)",
        )
        counts = statements_per_search(engine, who, one[:30] + three[:30])
        for label, found in (("with results", True), ("without", False)):
            numbers = [n for n, any_found in counts if any_found is found]
            report.add(
                f"SQL statements per search, {label}",
                ", ".join(f"{n} x{numbers.count(n)}" for n in sorted(set(numbers))) or "-",
                "constant",
                len(set(numbers)) <= 1,
            )
        before = indexed_posts(url, open_round)
        on, off = post_comments(engine, open_round, args.posts, vocabularies["en"])
        ratio = statistics.median(on) / statistics.median(off)
        report.add(
            "post a comment: index on / off",
            f"{ms(statistics.median(on))} / {ms(statistics.median(off))} (p95 "
            f"{ms(sorted(on)[int(0.95 * len(on))])} / {ms(sorted(off)[int(0.95 * len(off))])})",
        )
        report.add(  # the service alone: what the index adds, over the least there is
            "post a comment: ratio of medians",
            f"{ratio:.3f} (+{ms(statistics.median(on) - statistics.median(off))}; "
            f"{len(on)} + {len(off)} posts)",
        )
        engine.dispose()
        total, entries = indexed_posts(url, open_round)
        posted, indexed = total - before[0], entries - before[1]
        report.add(
            "posted comments indexed",
            f"{indexed} of {posted} (those posted without the listener are not)",
            f"= {len(on) + 5}",
            posted == len(on) + len(off) + 10 and indexed == len(on) + 5,
        )
        on, off = post_comments_http(url, open_round, args.posts, vocabularies["en"])
        ratio = statistics.median(on) / statistics.median(off)
        report.add(
            "POST /rounds/{id}/comments: index on / off",
            f"{ms(statistics.median(on))} / {ms(statistics.median(off))} (p95 "
            f"{ms(sorted(on)[int(0.95 * len(on))])} / {ms(sorted(off)[int(0.95 * len(off))])})",
        )
        report.add(
            "POST /rounds/{id}/comments: ratio of medians",
            f"{ratio:.3f} (+{ms(statistics.median(on) - statistics.median(off))}; "
            f"{len(on)} + {len(off)} posts)",
            f"<= {TARGET_POST_RATIO:.2f}",
            ratio <= TARGET_POST_RATIO,
        )
    finally:
        if db is not None and args.keep:
            print(f"kept: {db.url} (--url to measure it again)")
        elif db is not None:
            db.drop()
    print(f"\n{command}\n{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs,")
    print(f"load average {os.getloadavg()[0]:.1f}\n")
    print(report.table())
    print(f"\n{report.failures} target(s) missed" if report.failures else "\nevery target met")
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
