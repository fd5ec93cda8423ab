# Article Bot. Build: docker build -t article-bot .
# Run:   docker run --env-file .env -v article-corpus:/app/corpus -v article-index:/app/index \
#            -v article-data:/app/data article-bot
# Any other command: docker run … article-bot sync --guild 123456789012345678

# ---- build: a virtual environment with the CPU build of PyTorch ---------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A current pip, as the Makefile does: the pip a base image bundles may be old (Debian's 23.0
# does not match justext's `lxml[html_clean]` to lxml's `html-clean` extra, so trafilatura
# is left without lxml_html_clean and fails to import).
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --upgrade pip
ENV PATH=/opt/venv/bin:$PATH
# torch first, its CPU build by name (`+cpu`, on PyTorch's CPU index or a local wheel folder
# pip is configured with): a plain `pip install torch` pulls a multi-GB CUDA build.
RUN pip install "torch==2.13.0+cpu" \
    || pip install "torch==2.13.0+cpu" --extra-index-url https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
# The packages' own test suites (torch's C++ test binaries, scipy/sympy/sklearn tests: ~200 MB)
# are never imported at run time; leave them out of the image.
RUN find /opt/venv/lib -depth -type d -name tests -path "*/site-packages/*" -exec rm -rf {} + \
    && rm -rf /opt/venv/lib/python3*/site-packages/torch/test

# ---- runtime: the environment, the seed corpus, a non-root user ---------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    CORPUS_DIR=/app/corpus \
    INDEX_DIR=/app/index \
    FEEDBACK_LOG=/app/data/feedback.jsonl \
    DATABASE_URL=sqlite:////app/data/article-bot.db
RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /app/corpus /app/index /app/data \
    && chown bot:bot /app /app/corpus /app/index /app/data
COPY --from=build /opt/venv /opt/venv
# The seed article; a volume mounted on /app/corpus starts from it when it is empty.
COPY --chown=bot:bot corpus/ /app/corpus/
USER bot
WORKDIR /app
VOLUME ["/app/corpus", "/app/index", "/app/data"]
# Healthy while the index loads and passes its checksums (the first start builds it).
HEALTHCHECK --interval=60s --timeout=30s --start-period=180s --retries=3 \
    CMD ["python", "-m", "bot", "status"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
