"""pipelines/text_quality.py: junk is never an article, and real text in any script is.

The real texts are the extraction fixtures, every page of the demo web, and short news
sentences written for this test in eleven languages; the junk is what broke item 8 of
issue 12 (random bytes, a PDF, one letter 200,000 times) and some symbol soup.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from crawlers import DATA
from pipelines.extract import ExtractionError, extract_article
from pipelines.text_quality import why_not_language

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Written for this test; none is a quotation.
REAL_TEXTS = {
    "chinese": "欧盟议会周三通过了人工智能法案，该法案将根据风险等级对人工智能系统进行分类管理。"
    "高风险系统的开发者必须提交技术文件，并接受独立机构的审查。",
    "japanese": "政府は人工知能の開発に関する新しい指針を発表した。企業は学習データの出所を説明し、"
    "著作権者からの問い合わせに応じる必要がある。",
    "thai": "รัฐบาลประกาศร่างกฎหมายปัญญาประดิษฐ์ฉบับใหม่เพื่อคุ้มครองข้อมูลส่วนบุคคลของประชาชน"
    "และกำหนดให้บริษัทเทคโนโลยีต้องเปิดเผยวิธีการฝึกโมเดล",
    "arabic": "أقر البرلمان الأوروبي قانون الذكاء الاصطناعي الذي يفرض قواعد صارمة على الأنظمة "
    "عالية المخاطر ويلزم الشركات بالشفافية.",
    "korean": "국회는 인공지능 기본법을 통과시켰으며, 이 법은 고위험 인공지능 시스템을 개발하는 "
    "기업에 안전성 평가를 의무화한다.",
    "spanish": "El Congreso aprobó ayer una ley que obliga a las empresas de inteligencia "
    "artificial a revelar qué obras protegidas usaron para entrenar sus modelos.",
    "russian": "Государственная дума приняла закон о регулировании искусственного интеллекта, "
    "который обязывает разработчиков маркировать созданный контент.",
    "hindi": "सरकार ने कृत्रिम बुद्धिमत्ता के उपयोग पर नए नियम जारी किए हैं, जिनके तहत "
    "कंपनियों को अपने मॉडल की जानकारी देनी होगी।",
    "greek": "Η Επιτροπή ανακοίνωσε νέους κανόνες για την τεχνητή νοημοσύνη που θα ισχύσουν "
    "από το επόμενο έτος.",
    "german": "Das Bundesarbeitsgericht entschied, dass Betriebsräte bei der Einführung von "
    "KI-Software mitbestimmen dürfen.",
    "short english": "Judge dismisses AI copyright suit.",
    "english with figures": "The fine is €15 million (about $16.2m), 4% of 2023 turnover; "
    "the appeal is due by 30 June 2025 under Article 83(5).",
}


def junk() -> dict[str, str]:
    rng = random.Random(12)
    noise = rng.randbytes(200_000)
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 4000 >>\nstream\n" + noise[:4000]
    return {
        "random bytes as UTF-8": noise.decode("utf-8", errors="replace"),
        "random bytes as Latin-1": noise.decode("latin-1"),
        "a PDF": pdf.decode("utf-8", errors="replace"),
        "one letter 200,000 times": "a" * 200_000,
        "one letter with spaces": "x " * 5_000,
        "symbol soup": "".join(rng.choice("#$%&*()@!~^<>{}[]|/\\=+ ") for _ in range(3_000)),
        "printable noise": "".join(chr(rng.randrange(33, 127)) for _ in range(20_000)),
        "numbers only": " ".join(str(rng.randrange(100_000)) for _ in range(500)),
        "blank": " \n\t ",
    }


@pytest.mark.parametrize("name", sorted(REAL_TEXTS))
def test_real_text_in_any_script_is_language(name: str) -> None:
    assert why_not_language(REAL_TEXTS[name]) is None


@pytest.mark.parametrize("name", sorted(junk()))
def test_junk_is_not_language(name: str) -> None:
    assert why_not_language(junk()[name])


def test_no_fixture_or_demo_page_is_rejected() -> None:
    expected = sorted((FIXTURES / "extraction").glob("*.txt"))
    pages = sorted((FIXTURES / "extraction").glob("*.html")) + sorted(
        (DATA / "demo" / "site").rglob("*.html")
    )
    assert len(expected) >= 10 and len(pages) >= 60
    for path in expected:
        assert why_not_language(path.read_text(encoding="utf-8")) is None, path
    articles = 0
    for path in pages:
        try:
            extract_article(path.read_bytes(), f"http://example.test/{path.name}")
        except ExtractionError as exc:
            # The demo's index pages may have no article; never for being junk.
            assert "not language" not in str(exc), (path, exc)
        else:
            articles += 1
    assert articles >= 60
