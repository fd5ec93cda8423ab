from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles import ArticleError, load_article, parse_article

SEED = Path(__file__).resolve().parent.parent / "corpus" / "china-first-woman-spacewalk.txt"


def test_seed_article_title_and_boilerplate() -> None:
    article = load_article(SEED)
    assert article.title == "Astronaut becomes China's first woman to walk in space"
    assert "RELATED" not in article.text
    assert "William Shatner" not in article.text
    assert article.text.startswith("China saw its first woman")
    first = article.paragraphs[0]
    assert article.paragraph_text(first).endswith("on Nov. 7.")
    assert [p.number for p in article.paragraphs] == list(range(1, len(article.paragraphs) + 1))


def test_paragraph_offsets_point_into_text() -> None:
    article = load_article(SEED)
    for paragraph in article.paragraphs:
        body = article.paragraph_text(paragraph)
        assert body == body.strip() and body


def test_markdown_heading_and_front_matter() -> None:
    data = (
        b"---\nurl: https://example.com/story\ndate: 2024-05-01\nsource: Example News\n---\n"
        b"# Big **news** today\n\nFirst paragraph with a [link](https://x.y).\n\nSecond one.\n"
    )
    article = parse_article(data, "story.md", "story")
    assert article.title == "Big news today"
    assert article.url == "https://example.com/story"
    assert article.date == "2024-05-01"
    assert article.source == "Example News"
    assert article.text == "First paragraph with a link.\n\nSecond one."


def test_html_extracts_main_text_without_scripts() -> None:
    html = (
        "<html><head><title>Rover finds water</title><script>var secret = 'tracking';</script></head>"
        "<body><nav>Home | World | Sport</nav><article><h1>Rover finds water</h1>"
        + "".join(
            f"<p>The rover drilled hole number {i} and found traces of ice in the soil sample.</p>"
            for i in range(6)
        )
        + "</article><footer>Copyright</footer></body></html>"
    ).encode()
    article = parse_article(html, "rover.html", "rover")
    assert article.title == "Rover finds water"
    assert "tracking" not in article.text
    assert "drilled hole number 3" in article.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9 au lait", "not UTF-8"),
        (b"", "no article text"),
        (b"   \n\n  \n", "no article text"),
    ],
)
def test_bad_files_raise_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        parse_article(data, "bad.txt", "bad")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "word " * 1000)
    with pytest.raises(ArticleError, match="over the limit"):
        load_article(path, max_bytes=100)
