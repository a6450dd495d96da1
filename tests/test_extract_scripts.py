"""Script-aware extraction: bodies in scripts written without spaces (Chinese, Japanese,
Thai) or with their own sentence marks (Arabic) must not be trimmed as short "headings".

The pages are our own writing about real events, in the markup a news site would use.
"""

from __future__ import annotations

import pytest

from pipelines.extract import extract_article
from pipelines.extract.script import ends_sentence, word_count

STORIES = {
    "zh": [
        "欧盟《人工智能法》于2024年8月1日正式生效，这是全球第一部全面规范人工智能的法律。",
        "该法按照风险高低对人工智能系统分级，高风险系统必须满足数据质量、透明度和人工监督等要求。",
        "多数条款在生效两年后适用，但被禁止的用途自2025年2月起就不得再提供。",
        "企业界担心合规成本。",
    ],
    "ja": [
        "日本の国会は2025年5月、人工知能の研究開発と活用を進めるための新しい法律を可決した。",
        "この法律には罰則がなく、政府が基本計画を作り、問題のある事業者を調べられるようにする内容だ。",
        "欧州連合の規制と比べると、企業の自主的な取り組みを重視した緩やかな枠組みだと受け止められている。",
        "今後の運用が注目される。",
    ],
    "th": [
        "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์เปิดรับฟังความคิดเห็นต่อร่างหลักการของกฎหมายปัญญาประดิษฐ์ในปี 2568",
        "ร่างนี้กำหนดให้ผู้ให้บริการระบบที่มีความเสี่ยงสูงต้องประเมินความเสี่ยง และแจ้งผู้ใช้งานเมื่อมีการใช้ระบบอัตโนมัติ",
        "ภาคธุรกิจขอให้รัฐบาลกำหนดระยะเวลาปรับตัวที่ชัดเจนก่อนบังคับใช้จริง",
        "ผู้เชี่ยวชาญมองว่ายังต้องหารืออีกมาก",
    ],
    "ar": [
        "أصدرت الهيئة السعودية للبيانات والذكاء الاصطناعي مبادئ لأخلاقيات الذكاء الاصطناعي"
        " تطلب من الجهات تقييم أثر أنظمتها قبل تشغيلها.",
        "وتشمل المبادئ العدالة والخصوصية والشفافية والمساءلة،"
        " وتنطبق على الجهات الحكومية والخاصة على حد سواء.",
        "ويرى محامون أن المبادئ ستصبح مرجعا للعقود مع مزودي التقنية في المنطقة.",
        "هل تلحق دول أخرى بهذا النهج؟",
    ],
}
SHARE = {"zh": "分享到微信", "ja": "この記事をシェア", "th": "แชร์บทความนี้", "ar": "شارك المقال"}


def story_page(lang: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in STORIES[lang])
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
    <title>{STORIES[lang][0][:12]}</title></head><body>
    <nav><a href="/">{SHARE[lang]}</a></nav>
    <article><h1>{STORIES[lang][0][:12]}</h1>{paragraphs}
    <div class="share-buttons"><a href="#">{SHARE[lang]}</a></div></article>
    <footer>© 2025</footer></body></html>"""


@pytest.mark.parametrize("lang", sorted(STORIES))
def test_a_story_in_each_script_keeps_every_paragraph(lang: str) -> None:
    out = extract_article(story_page(lang), f"https://example.org/{lang}/story")
    assert out.text.split("\n\n") == STORIES[lang]
    assert SHARE[lang] not in out.text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The court ruled on Tuesday.", 5),
        ("欧盟人工智能法生效", 5),  # nine characters, about two per word
        ("ร่างกฎหมายปัญญาประดิษฐ์", 6),  # twenty-three characters, about four per word
        ("هل تلحق دول أخرى بهذا النهج؟", 6),
        ("AI法案 passed", 3),
    ],
)
def test_word_counts_hold_for_scripts_without_spaces(text: str, words: int) -> None:
    assert word_count(text) == words


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("法律已经生效。", True),
        ("今後の運用が注目される。」", True),
        ("هل تلحق دول أخرى بهذا النهج؟", True),
        ("यह कानून लागू हो गया है।", True),
        ("More from Technology", False),
        ("分享到微信", False),
    ],
)
def test_sentence_ends_in_many_scripts(text: str, ends: bool) -> None:
    assert ends_sentence(text) is ends
